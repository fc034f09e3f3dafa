"""The merged matrix report: cases down, cells across, in Markdown and in a browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_nuitka.matrix import report


def write_results(folder: Path) -> list[Path]:
    cells = {
        "tf215-nuitkaoldest": {
            "zoo/a/nuitka-case.toml::run:predict": ("passed", ""),
        },
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
                    "versions": {
                        "python": "3.11.7",
                        "nuitka": "2.0" if cell.endswith("oldest") else "4.3.3",
                        "tensorflow": "2.15.1" if cell.startswith("tf215") else "2.21.0",
                        "torch": "-",
                    },
                    "finished": f"2026-11-24 0{len(cell) % 10}:00 UTC",
                    "commit": "abc1234",
                    "results": [
                        {"nodeid": n, "outcome": o, "message": m, "duration": 1.0}
                        for n, (o, m) in rows.items()
                    ],
                }
            )
        )
        paths.append(path)
    return paths


def test_report_markdown_has_cases_down_and_cells_across(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = write_results(tmp_path)
    assert report.main([str(p) for p in paths] + ["--markdown", str(tmp_path / "r.md")]) == 1
    text = capsys.readouterr().out
    assert text == (tmp_path / "r.md").read_text()
    lines = text.splitlines()
    assert re.fullmatch(
        r"Compiled vs script: made \d{4}-\d\d-\d\d \d\d:\d\d UTC( from commit \w+)?; "
        r"cells finished 2026-11-24 05:00 UTC to 2026-11-24 08:00 UTC(, from commit abc1234)?",
        lines[0],
    )
    # Columns: what each cell really had, the newest Nuitka first.
    assert lines[2] == (
        "| case | tf215<br>Python 3.11.7<br>Nuitka 4.3.3<br>TF 2.15.1 "
        "| tflatest<br>Python 3.11.7<br>Nuitka 4.3.3<br>TF 2.21.0 "
        "| tf215-nuitkaoldest<br>Python 3.11.7<br>Nuitka 2.0<br>TF 2.15.1 |"
    )
    # One row per case, its checks counted per cell, worst first; then its checks.
    assert lines[4] == "| ❌ **a** | 1 FAIL · 1 known issue | 1 pass · 1 skip | 1 pass |"
    assert lines[5] == "| **totals** | 1 FAIL · 1 known issue | 1 pass · 1 skip | 1 pass |"
    at = lines.index("<details><summary>a: 2 checks</summary>")
    assert lines[at + 2] == "| check | tf215 | tflatest | tf215-nuitkaoldest |"
    assert lines[at + 4] == "| `run:predict` | ⚠️ known issue [1] | ✅ pass | ✅ pass |"
    assert lines[at + 5] == "| `roundtrip:h5:script->binary` | ❌ FAIL [2] | ⏭️ skip |  |"
    assert "[1] known issue: keras._tf_keras" in lines
    assert "[2] E   boom <b>" in lines


def test_report_html_renders_in_a_real_browser(tmp_path: Path) -> None:
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
    assert '<th colspan="2">Nuitka 4.3.3</th><th colspan="1">Nuitka 2.0</th>' in dom
    assert "tf215-nuitkaoldest<small>Python 3.11.7</small><small>Nuitka 2.0</small>" in dom
    assert (
        '<tr class="case" id="case1"><th>a</th><td class="failed">1 FAIL · 1 known issue</td>'
        in dom
    )
    assert '<tr class="check case1"><th title="zoo/a/nuitka-case.toml::run:predict">' in dom
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


def test_a_case_where_nothing_failed_is_folded() -> None:
    matrix = report.Matrix(
        cells=["c"],
        versions={"c": {"nuitka": "4.3.3"}},
        rows=["zoo/b/nuitka-case.toml::run:x"],
        results={("zoo/b/nuitka-case.toml::run:x", "c"): {"outcome": "passed", "message": ""}},
        runs={},
    )
    page = report.html_page(matrix, "made now")
    assert '<tr class="check case1" hidden>' in page


def test_rows_follow_files_then_the_reading_order_of_checks() -> None:
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


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"", "(it is empty)"),
        (b"{bad", "(Expecting property name"),
        (b"\xff", "decode byte 0xff in position 0: invalid start byte)"),
        (b"[1, 2]", "(it needs the keys cell, versions, results)"),
        (b'{"cell": "c", "versions": {}, "results": [1]}', "not a list of rows with a nodeid"),
    ],
)
def test_a_file_that_is_not_a_cells_results_is_named_with_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, said: str
) -> None:
    path = tmp_path / "cell.json"
    path.write_bytes(content)
    with pytest.raises(SystemExit) as done:
        report.main([str(path)])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert f"error: {path}: " in err and said in err and "Traceback" not in err
