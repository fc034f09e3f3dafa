"""Any path and any name the operating system allows: folders and scripts named in Chinese,
output files whose names are not UTF-8, reports that declare an encoding expat does not know;
what cannot work says so before anything is built, and nothing ends the session."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_nuitka.base.errors import BuildError, printable
from pytest_nuitka.check import diagnose
from pytest_nuitka.check.difference import table
from pytest_nuitka.compile.builder import check_names
from pytest_nuitka.compile.compilers import read_report

if TYPE_CHECKING:
    from conftest import PluginRun
    from pytest_nuitka.api.session import Nuitka

INFERENCE = """
import json, os, sys
labels = json.load(open(os.path.join(os.path.dirname(__file__), "标签.json"), encoding="utf-8"))
image, out = sys.argv[2], sys.argv[3]
print("图片:", image, "预测:", labels["0"])
with open(os.path.join(out, "结果.txt"), "w", encoding="utf-8") as f:
    f.write(labels["0"])
"""


@pytest.mark.parametrize("mode", ["accelerated", "standalone"])
def test_an_app_in_a_chinese_folder_with_a_chinese_name(
    nuitka: Nuitka, tmp_path: Path, mode: str
) -> None:
    folder = tmp_path / "鸟类识别"
    folder.mkdir()
    (folder / "推理.py").write_text(INFERENCE, encoding="utf-8")
    (folder / "标签.json").write_text('{"0": "苍鹭"}', encoding="utf-8")
    app = nuitka.compile(str(folder / "推理.py"), mode=mode, data=[folder / "标签.json"])
    run = app.run_both("--图片", "鸟.jpg", "{out}", portable=mode == "standalone")
    run.assert_match()
    assert run.binary.stdout.strip() == "图片: 鸟.jpg 预测: 苍鹭"
    assert run.binary.outputs == {"结果.txt": "苍鹭"}
    assert app.binary is not None
    entry = next(p for p in app.binary.parents if (p / "meta.json").is_file())
    recorded = json.loads((entry / "meta.json").read_text())["product"]
    for name, signature in recorded.items():  # the clean room touched no cached file
        if signature[0] not in ("dir", "link"):
            assert signature[3] == (entry / "product" / name).lstat().st_ctime_ns, name


def test_a_report_in_utf8_that_says_utf8_is_read(tmp_path: Path) -> None:
    """Nuitka writes ``encoding='utf8'``, which expat does not know: every non-ASCII path
    made the report unreadable."""
    (tmp_path / "鸟类识别").mkdir()
    script = tmp_path / "鸟类识别" / "推理.py"
    script.write_text("import json\n")
    (tmp_path / "report.xml").write_bytes(
        textwrap.dedent(f"""\
        <?xml version='1.0' encoding='utf8'?>
        <nuitka-compilation-report>
          <module name="__main__" kind="PythonMainModule" source_path="{script}">
            <module_usages><module_usage name="json" finding="excluded" /></module_usages>
          </module>
        </nuitka-compilation-report>
        """).encode()
    )
    read = read_report(tmp_path / "report.xml", tmp_path, None)
    assert read.sources == (script,)
    assert read.imported == ("json",)


def test_a_path_that_is_not_utf8_is_refused_before_building(tmp_path: Path) -> None:
    folder = tmp_path / os.fsdecode(b"v\xf6gel")  # Latin-1 bytes, as an old archive has
    with pytest.raises(BuildError) as caught:
        check_names(folder / "app.py", [])
    assert printable(str(folder)) in str(caught.value)
    assert "rename the folder or file to a UTF-8 name" in str(caught.value)
    check_names(tmp_path / "鸟类识别" / "推理 -x $(y).py", [tmp_path / "标签.json"])


def test_printable_keeps_every_byte_visible() -> None:
    assert printable(os.fsdecode(b"bad\xff.txt") + " 鸟") == "bad\\xff.txt 鸟"
    assert printable("\ud800") == "\\ud800"  # not from a byte: shown as a code point


BAD_NAMES = """
import os, sys
name = b"bad\\xff.txt" if "__compiled__" in globals() else b"bad\\xfe.txt"
with open(os.path.join(os.fsencode(sys.argv[1]), name), "wb") as f:
    f.write(b"x")
"""


def session_with(
    pytester: pytest.Pytester, plugin_run: PluginRun, app: str, test: str
) -> pytest.RunResult:
    """An inner session of ``test`` and a passing test after it, on ``app``: the first fails
    with its table, never an INTERNALERROR, and the session goes on to the second."""
    pytester.makepyfile(app=app, test_app=test + "\ndef test_after():\n    pass\n")
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(failed=1, passed=1)
    assert "INTERNALERROR" not in result.stdout.str()
    return result


def test_output_names_that_are_not_utf8_fail_the_test_and_the_session_goes_on(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    test = (
        'def test_names(nuitka):\n    nuitka.compile("app.py").run_both("{out}").assert_match()\n'
    )
    result = session_with(pytester, plugin_run, BAD_NAMES, test)
    result.stdout.fnmatch_lines(["*bad\\xfe.txt*yes*-*", "*bad\\xff.txt*-*yes*", "kept until*"])
    kept = next((plugin_run.cache / "v1" / "evidence").glob("*test_names*"))
    assert "bad\\xff.txt" in (kept / "failure.txt").read_text(encoding="utf-8")


def test_a_broken_known_issue_table_never_hides_the_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken() -> None:
        raise ValueError("known_issues.toml: issue 'x': output is not a regular expression")

    monkeypatch.setattr(diagnose, "known_issues", broken)
    with pytest.raises(diagnose.DiagnosedFailure) as caught:
        diagnose.fail("binary differs from script in 1 check(s): stdout", [], [])
    assert "binary differs from script in 1 check(s): stdout" in caught.value.msg
    assert "(no known issue could be looked for: known_issues.toml: issue 'x'" in caught.value.msg


def test_a_known_issue_pattern_that_is_not_a_regex_is_named() -> None:
    raw = {"id": "x", "title": "t", "explain": "e", "remedy": "r", "verified": False}
    with pytest.raises(ValueError, match=r"issue 'x': output is not a regular expression"):
        diagnose._issue({**raw, "output": "(unclosed"})


BYTES_OUT = """
import sys
mark = b"\\xff" if "__compiled__" in globals() else b"\\xfe"
sys.stdout.buffer.write(b"caf\\xe9 " + mark + b"\\n")
sys.stderr.buffer.write(b"\\x80 warning\\n")
"""


def test_output_that_is_not_utf8_is_compared_and_shown(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    test = (
        "def test_bytes(nuitka):\n"
        "    nuitka.compile('app.py').run_both().assert_match(stderr=True)\n"
    )
    result = session_with(pytester, plugin_run, BYTES_OUT, test)
    result.stdout.fnmatch_lines(["*-caf\\xe9 \\xfe", "*+caf\\xe9 \\xff"])


def test_a_data_folder_holding_a_name_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    (tmp_path / "checkpoint").mkdir()
    (tmp_path / "checkpoint" / os.fsdecode(b"w\xe4hrung.bin")).write_bytes(b"")
    with pytest.raises(BuildError, match=r"checkpoint/w\\xe4hrung\.bin: this path has bytes"):
        check_names(tmp_path / "app.py", [tmp_path / "checkpoint"])


def test_failure_tables_line_up_as_a_terminal_shows_them() -> None:
    shown = table(
        ["name", "script", "binary"],
        [["结果.txt", "yes", "-"], [os.fsdecode(b"bad\xff.txt"), "-", "yes"]],
    )
    assert shown.splitlines() == [
        "  name         script  binary",
        "  结果.txt     yes     -",  # two columns a character
        "  bad\\xff.txt  -       yes",
    ]
