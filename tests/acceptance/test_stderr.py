"""Stderr compared by default (issue 26), with the real Nuitka in every mode: what compiling
changes on stderr passes, what a program really does differently there fails."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_nuitka.check.diagnose import DiagnosedFailure

if TYPE_CHECKING:
    from pytest_nuitka.api.session import Nuitka

APP = "tests/apps/stderr/app.py"
MODES = ["accelerated", "standalone", "onefile"]


@pytest.mark.parametrize("mode", MODES)
def test_what_compiling_changes_on_stderr_passes(nuitka: Nuitka, mode: str) -> None:
    """A SyntaxWarning CPython gives while compiling the script, a coroutine never awaited,
    a DeprecationWarning and a UserWarning (whose source line a dist cannot show, from a file
    the dist or the onefile's unpacked folder names), blank lines."""
    app = nuitka.compile(APP, mode=mode)
    run = app.run_both("noise")
    run.assert_match()
    stderr = run.script.stderr
    assert 'SyntaxWarning: "is" with a literal' in stderr
    assert "coroutine 'fetch' was never awaited" in stderr
    assert "coroutine" not in run.binary.stderr
    assert "DeprecationWarning: load() is deprecated" in run.binary.stderr
    assert "UserWarning: model saved without its optimizer" in run.binary.stderr


@pytest.mark.parametrize("mode", MODES)
def test_a_clis_error_path_passes(nuitka: Nuitka, mode: str) -> None:
    """argparse names the program from sys.argv[0]: the binary's file name reads as the
    script's."""
    app = nuitka.compile(APP, mode=mode)
    for args in (["cli"], ["cli", "--count", "x"], ["--help"]):
        run = app.run_both(*args)
        run.assert_match()
        assert run.binary.returncode == (0 if args == ["--help"] else 2)
    assert "usage: app.bin [-h]" in run.binary.raw_stdout.decode()


def test_the_accelerated_binary_shows_the_scripts_search_path(nuitka: Nuitka) -> None:
    app = nuitka.compile(APP, mode="accelerated")
    run = app.run_both("sys-path")
    run.check_stdout(strict=True)  # the harness's names only: no rule
    assert run.script.stdout.splitlines()[0].startswith("['<appdir>', ")
    assert run.script.stdout.count("<appdir>") == 1


@pytest.mark.parametrize("what", ["warning", "log", "atexit"])
def test_a_real_stderr_difference_fails(nuitka: Nuitka, what: str) -> None:
    run = nuitka.compile(APP).run_both(what)
    run.check_stdout()
    run.check_exit()
    with pytest.raises(DiagnosedFailure) as failure:
        run.assert_match()
    message = str(failure.value)
    assert "binary differs from script in 1 check(s): stderr (normalised)" in message
    shown = {
        "warning": "+<app>:33: RuntimeWarning: falling back to the slow path",
        "log": "+WARNING:root:cache miss for model weights",
        "atexit": "-flushed 3 records",
    }
    assert shown[what] in message
    run.assert_match(stderr=False)


@pytest.mark.nuitka_requires("keras>=3", "tensorflow")
def test_a_verbose_keras_export_passes(nuitka: Nuitka) -> None:
    """Keras 3's "Captures:" lines carry id()s, which no hand-written rule may mask (a
    computed number looks the same): the script's second run shows them varying."""
    run = nuitka.compile("tests/apps/keras_export/app.py").run_both()
    run.assert_match()
    assert "Captures:" in run.binary.stdout
    with pytest.raises(DiagnosedFailure) as failure:
        run.assert_match(rules=["-learned"])
    assert "binary differs from script in 1 check(s): stdout (normalised)" in str(failure.value)
