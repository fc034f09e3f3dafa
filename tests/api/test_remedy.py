"""``--nuitka-try-remedy`` with the real Nuitka: for each known issue whose remedy is a change
to the build, a failing check is built again with the remedy and rerun, and the failure says
that the remedy fixes it. The test itself still fails: the remedy belongs in its code."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from native import FOREIGN, native_app, system_library

from conftest import APPS
from pytest_nuitka.api.app import App
from pytest_nuitka.api.remedy import remedy_for
from pytest_nuitka.base.settings import Mode
from pytest_nuitka.check.diagnose import Diagnosis, known_issues

if TYPE_CHECKING:
    from conftest import NuitkaRun

PROBE = APPS / "probe" / "app.py"


def inner_test(pytester: pytest.Pytester, body: str) -> None:
    code = textwrap.indent(textwrap.dedent(body).strip("\n"), "    ")
    pytester.makepyfile(test_inner=f"PROBE = {str(PROBE)!r}\n\n\ndef test_app(nuitka):\n{code}\n")


def failed_with(result: pytest.RunResult, *lines: str) -> str:
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    for line in lines:
        assert line in output, output
    return output


def test_a_missing_data_file_is_declared(nuitka_run: NuitkaRun, pytester: pytest.Pytester) -> None:
    inner_test(
        pytester,
        """
        app = nuitka.compile(PROBE, mode="standalone")
        app.run_both("--data", "greeting.txt", portable=True).assert_match()
        """,
    )
    failed_with(
        nuitka_run("--nuitka-try-remedy"),
        "known issue [data-file-missing]",
        "remedy verified: add data=['greeting.txt']",
    )
    output = nuitka_run().stdout.str()
    assert "known issue [data-file-missing]" in output and "remedy verified" not in output


def test_an_excluded_module_is_let_in(nuitka_run: NuitkaRun, pytester: pytest.Pytester) -> None:
    inner_test(
        pytester,
        """
        app = nuitka.compile(PROBE, mode="standalone", options=["--nofollow-import-to=csv"])
        app.run_both("--import", "csv", portable=True).assert_match()
        """,
    )
    failed_with(
        nuitka_run("--nuitka-try-remedy"),
        "known issue [excluded-module]",
        "remedy verified: drop --nofollow-import-to=csv",
    )


def test_a_system_library_is_included(nuitka_run: NuitkaRun, pytester: pytest.Pytester) -> None:
    script = native_app(pytester.path / "native_app")
    helper = script.parent / "native" / "libgmpversion.so"
    inner_test(
        pytester,
        f"""
        app = nuitka.compile({str(script)!r}, mode="standalone", data=[{str(helper)!r}])
        app.run_both(portable=True).assert_match()
        """,
    )
    failed_with(
        nuitka_run("--nuitka-try-remedy"),
        "known issue [system-library-missing]",
        f"remedy verified: include --include-data-files={system_library()}=native/{FOREIGN}",
    )


def test_a_zoo_case_without_its_label_map(nuitka_run: NuitkaRun, pytester: pytest.Pytester) -> None:
    """The manifest's own check is rerun, on a fresh build with the remedy."""
    case = pytester.path / "labels_case"
    case.mkdir()
    (case / "idx2cls.json").write_text('{"0": "robin"}\n')
    (case / "app.py").write_text(
        "import json\nfrom pathlib import Path\n\n"
        "print(json.loads((Path(__file__).resolve().parent / 'idx2cls.json').read_text()))\n"
    )
    (case / "nuitka-case.toml").write_text(
        'description = "labels read beside the app"\nmode = "standalone"\n\n'
        '[[runs]]\nname = "classify"\nargs = []\n'
    )
    output = failed_with(
        nuitka_run("--nuitka-try-remedy", str(case), "-k", "portable"),
        "known issue [data-file-missing]",
        "remedy verified: add data=['idx2cls.json']",
    )
    assert re.search(r"portable:classify", output)


def test_no_remedy_is_made_up(tmp_path: Path) -> None:
    """Evidence that does not say what to change gives no remedy, and an issue whose remedy
    is not a build change gives none either."""
    issues = {issue.id: issue for issue in known_issues()}
    app = App(
        tmp_path / "app.py",
        tmp_path / "app.dist" / "app.bin",
        mode=Mode.STANDALONE,
        options=(),
        env={},
        timeout=10,
        workdir=lambda name: tmp_path / name,
        resolve=Path,
    )
    elsewhere = "No such file or directory: '/etc/not-in-a-dist.txt'"
    absent = "No such file or directory: '/x/app.dist/not-beside-the-source.txt'"
    for evidence in (elsewhere, absent):
        diagnosis = Diagnosis(issues["data-file-missing"], "binary", evidence)
        assert remedy_for([diagnosis], app) is None
    weights = Diagnosis(issues["torch-weights-only"], "binary", "Weights only load failed")
    assert remedy_for([weights], app) is None
    (tmp_path / "labels.json").write_text("{}")
    found = Diagnosis(
        issues["data-file-missing"],
        "binary",
        absent.replace("not-beside-the-source.txt", "labels.json"),
    )
    remedy = remedy_for([found], app)
    assert remedy is not None and remedy.said == "add data=['labels.json']"
    assert remedy.data == (tmp_path / "labels.json",)
