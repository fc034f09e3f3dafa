"""The version matrix: markers, the cell check, result files, the merged report, CI files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_nuitka.matrix import report
from pytest_nuitka.zoo.conditions import check_condition, holds

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize(
    ("condition", "env", "expected"),
    [
        ("pytest>=8", {}, True),
        ("pytest<8", {}, False),
        ("!pytest", {}, False),
        ("!no-such-distribution", {}, True),
        ("env:TF_USE_LEGACY_KERAS=1", {"TF_USE_LEGACY_KERAS": "1"}, True),
        ("env:TF_USE_LEGACY_KERAS=1", {}, False),
        ("env:KERAS_BACKEND!=torch", {}, True),
    ],
)
def test_conditions(condition, env, expected):
    assert check_condition(condition) is None
    assert holds(condition, env) is expected


def test_version_markers(pytester, plugin_run):
    pytester.makepyfile(
        test_cells="""
        import pytest

        @pytest.mark.nuitka_requires("no-such-framework>=1")
        def test_needs_absent():
            pass

        @pytest.mark.nuitka_requires("pytest>=8", "env:CELL_FLAG!=off")
        def test_needs_present():
            pass

        @pytest.mark.nuitka_known_issue("pytest breaks here (demo issue)", "pytest>=8")
        def test_known_issue():
            assert False

        @pytest.mark.nuitka_known_issue("only on old pytest", "pytest<8")
        def test_not_this_cell():
            pass
    """
    )
    result = plugin_run("-rsx")
    result.assert_outcomes(passed=2, skipped=1, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "*needs no-such-framework>=1 (not so in this environment)*",
            "*test_known_issue - known issue: pytest breaks here (demo issue)",
        ]
    )


def test_bad_marker_condition_is_a_usage_error(pytester, plugin_run):
    pytester.makepyfile(
        test_bad="""
        import pytest
        @pytest.mark.nuitka_requires("tensorflow=>2")
        def test_it():
            pass
    """
    )
    result = plugin_run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_bad.py::test_it: 'tensorflow=>2' is neither*"])


def test_results_file_records_every_outcome(pytester, plugin_run, tmp_path):
    pytester.makepyfile(
        test_mixed="""
        import pytest
        def test_pass():
            pass
        def test_fail():
            assert 1 == 2, "boom"
        @pytest.mark.nuitka_known_issue("demo issue")
        def test_xfail():
            assert False
        @pytest.mark.nuitka_requires("!pytest")
        def test_skip():
            pass
    """
    )
    results = tmp_path / "cell.json"
    plugin_run(f"--nuitka-results={results}", "-n", "2", subprocess=True)
    data = json.loads(results.read_text())
    outcomes = {row["nodeid"].split("::")[1]: row["outcome"] for row in data["results"]}
    assert outcomes == {
        "test_pass": "passed",
        "test_fail": "failed",
        "test_xfail": "xfailed",
        "test_skip": "skipped",
    }
    messages = {row["nodeid"].split("::")[1]: row["message"] for row in data["results"]}
    assert "boom" in messages["test_fail"]
    assert not messages["test_fail"].startswith("[gw")
    assert messages["test_xfail"] == "known issue: demo issue"
    assert data["versions"]["python"] == sys.version.split()[0]


def write_results(folder: Path) -> list[Path]:
    cells = {
        "tf215": {
            "zoo/a/nuitka-case.toml::run:predict": ("xfailed", "known issue: keras._tf_keras"),
            "zoo/a/nuitka-case.toml::roundtrip:h5:script->binary": ("failed", "E   boom <b>"),
        },
        "tflatest": {
            "zoo/a/nuitka-case.toml::run:predict": ("passed", ""),
            "zoo/a/nuitka-case.toml::roundtrip:h5:script->binary": ("skipped", "needs torch"),
        },
    }
    paths = []
    for cell, rows in cells.items():
        path = folder / f"{cell}.json"
        path.write_text(
            json.dumps(
                {
                    "cell": cell,
                    "versions": {"tensorflow": cell},
                    "results": [
                        {"nodeid": n, "outcome": o, "message": m, "duration": 1.0}
                        for n, (o, m) in rows.items()
                    ],
                }
            )
        )
        paths.append(path)
    return paths


def test_report_markdown_has_cases_down_and_cells_across(tmp_path, capsys):
    paths = write_results(tmp_path)
    assert report.main([str(p) for p in paths] + ["--markdown", str(tmp_path / "r.md")]) == 1
    text = capsys.readouterr().out
    assert text == (tmp_path / "r.md").read_text()
    lines = text.splitlines()
    assert lines[0] == "| check | tf215 | tflatest |"
    assert lines[2] == "| `a · run:predict` | ⚠️ known issue [1] | ✅ pass |"
    assert lines[3] == "| `a · roundtrip:h5:script->binary` | ❌ FAIL [2] | ⏭️ skip |"
    assert lines[4] == ("| **totals** | 1 FAIL, 1 known issue | 1 pass, 1 skip |")
    assert "[1] known issue: keras._tf_keras" in lines
    assert "[2] E   boom <b>" in lines


def test_report_html_renders_in_a_real_browser(tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("needs chromium (apt-get install chromium; .ci/run installs it)")
    page = tmp_path / "report.html"
    report.main([str(p) for p in write_results(tmp_path)] + ["--html", str(page)])
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run(
        [chromium, *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert '<th title="{&quot;tensorflow&quot;: &quot;tf215&quot;}">tf215</th>' in dom
    assert '<td class="xfailed"><details><summary>known issue</summary>' in dom
    assert '<td class="failed"><details><summary>FAIL</summary><pre>E   boom &lt;b&gt;</pre>' in dom
    assert '<td class="passed">pass</td>' in dom
    shot = tmp_path / "report.png"
    subprocess.run(
        [chromium, *flags, f"--screenshot={shot}", "--window-size=900,400", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 5000


def actionlint() -> str:
    found = shutil.which("actionlint") or str(Path(sys.executable).parent / "actionlint")
    if not Path(found).is_file():
        pytest.skip("needs actionlint (pip install -e '.[test]')")
    return found


def test_workflows_pass_actionlint():
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert [p.name for p in workflows] == ["nightly.yml", "pull-request.yml"]
    done = subprocess.run([actionlint(), *map(str, workflows)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    nightly = (ROOT / ".github" / "workflows" / "nightly.yml").read_text()
    for needed in (
        "schedule:",
        "workflow_dispatch:",
        "fail-fast: false",
        "actions/cache@",
        "GITHUB_STEP_SUMMARY",
        "upload-artifact",
    ):
        assert needed in nightly


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        textwrap.dedent("""
        on: push
        jobs:
          x:
            runs-on: ubuntu-latest
            steps:
              - run: echo ${{ matrix.nope }}
    """)
    )
    assert subprocess.run([actionlint(), str(broken)], capture_output=True).returncode != 0


@pytest.mark.nuitka_requires("keras>=3")
def test_cell_check_refuses_a_cell_that_is_another(monkeypatch):
    monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)

    def check(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pytest_nuitka.cellcheck", *args],
            capture_output=True,
            text=True,
            env={**__import__("os").environ, **env},
        )

    assert check("--keras", "3").returncode == 0
    wrong = check("--keras", "2")
    assert wrong.returncode == 1
    assert "the cell claims Keras 2" in wrong.stderr
    typo = check("--keras", "3", TF_USE_LEGACY_KERAS="yes")
    assert typo.returncode == 1
    assert "counts as off: only 1/true/True turn it on" in typo.stderr


def test_tox_cells_are_named_without_python_factors():
    done = subprocess.run(
        [sys.executable, "-m", "tox", "list", "--no-desc"], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0 and "No module named tox" in done.stderr:
        pytest.skip("needs tox (pip install -e '.[test]')")
    assert done.stdout.split() == [
        "lint",
        "plugin",
        "tf215",
        "tf216-keras3",
        "tf216-legacy",
        "tflatest-keras3",
        "tflatest-legacy",
        "torch",
    ]


def test_rows_follow_files_then_the_reading_order_of_checks():
    rows = [
        "b.toml::run:x",
        "a.toml::roundtrip:h5:script->binary",
        "a.toml::baseline:p",
        "a.toml::run:p",
        "tests/test_x.py::test_y",
    ]
    assert sorted(rows, key=report.row_order) == [
        "a.toml::run:p",
        "a.toml::baseline:p",
        "a.toml::roundtrip:h5:script->binary",
        "b.toml::run:x",
        "tests/test_x.py::test_y",
    ]
