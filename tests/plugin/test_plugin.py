"""The plugin's logic, in inner pytest sessions built with the stand-in compiler."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_nuitka.compile import builder

if TYPE_CHECKING:
    from conftest import PluginRun

MATCHING_APP = """
import sys
import numpy as np
from pytest_nuitka.emit import emit

print("args:", sys.argv[1:], "input:", sys.stdin.read().strip())
emit("logits", np.arange(6, dtype=np.float32).reshape(2, 3))
emit("meta", {"label": "bird"})
"""

TEST_MATCH = """
def test_it(nuitka):
    app = nuitka.compile("app.py")
    app.run_both("--n", "3", stdin="hello").assert_match(argmax=["logits"])
"""


def write(pytester: pytest.Pytester, **files: str) -> None:
    pytester.makepyfile(**{name: textwrap.dedent(text) for name, text in files.items()})


def test_binary_matching_script_passes(pytester: pytest.Pytester, plugin_run: PluginRun) -> None:
    write(pytester, app=MATCHING_APP, test_app=TEST_MATCH)
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "nuitka: compiling app.py (accelerated): not in the cache ...",
            "nuitka: built app.py (accelerated) in *s",
            "nuitka: 1 build(s) in *s, 0 cache hit(s), 0 failed build(s)",
        ]
    )


def test_without_flag_script_runs_and_test_skips(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    marker = pytester.path / "sides-that-ran"
    write(
        pytester,
        app="""
    import sys
    with open(sys.argv[1], "a") as f:
        f.write("binary " if "__compiled__" in globals() else "script ")
    """,
        test_app=f"""
    def test_it(nuitka):
        nuitka.compile("app.py").run_both({str(marker)!r})
    """,
    )
    result = plugin_run("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["*the binary side needs --nuitka-compile (the script ran: exit status 0)*"]
    )
    assert marker.read_text() == "script "
    assert "nuitka: compiling" not in result.stdout.str()


def test_second_session_compiles_nothing(pytester: pytest.Pytester, plugin_run: PluginRun) -> None:
    write(
        pytester,
        app=MATCHING_APP,
        test_app=TEST_MATCH + TEST_MATCH.replace("test_it", "test_again"),
    )
    plugin_run("--nuitka-compile").assert_outcomes(passed=2)
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "nuitka: app.py (accelerated) from cache (built in *s)",
            "nuitka: 0 build(s) in 0.0s, 2 cache hit(s), 0 failed build(s)",
        ]
    )


def test_a_cache_inside_the_project_is_not_collected(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    """The cache holds copies of the app's folder, its test files among them."""
    write(pytester, app=MATCHING_APP, test_app=TEST_MATCH)
    inside = f"--nuitka-cache-dir={pytester.path / 'build-cache'}"
    plugin_run("--nuitka-compile", inside).assert_outcomes(passed=1)
    assert list((pytester.path / "build-cache").rglob("test_app.py"))  # copied there
    result = plugin_run("--nuitka-compile", inside)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["collected 1 item"])


def test_editing_a_local_module_rebuilds(pytester: pytest.Pytester, plugin_run: PluginRun) -> None:
    write(
        pytester,
        helper="VALUE = 1\n",
        app="import helper\nprint(helper.VALUE)\n",
        test_app="""
    def test_it(nuitka):
        run = nuitka.compile("app.py").run_both()
        run.assert_match()
        assert run.binary.stdout.strip() == open("expected").read()
    """,
    )
    (pytester.path / "expected").write_text("1")
    plugin_run("--nuitka-compile").assert_outcomes(passed=1)
    (pytester.path / "helper.py").write_text("VALUE = 2\n")
    (pytester.path / "expected").write_text("2")
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*compiling app.py (accelerated): what it was built from changed: */helper.py changed*"]
    )


def test_rebuild_flag_rebuilds_once_per_run(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    write(
        pytester,
        app=MATCHING_APP,
        test_app=TEST_MATCH + TEST_MATCH.replace("test_it", "test_again"),
    )
    plugin_run("--nuitka-compile").assert_outcomes(passed=2)
    result = plugin_run("--nuitka-compile", "--nuitka-rebuild")
    result.stdout.fnmatch_lines(
        [
            "*compiling app.py (accelerated): --nuitka-rebuild*",
            "nuitka: 1 build(s) in *s, 1 cache hit(s), 0 failed build(s)",
        ]
    )


def test_mismatch_prints_tables(pytester: pytest.Pytester, plugin_run: PluginRun) -> None:
    write(
        pytester,
        app="""
    import numpy as np
    from pytest_nuitka.emit import emit
    compiled = "__compiled__" in globals()
    print("compiled:", compiled, "at 0x7f3a2b1c9d10")
    logits = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]], dtype=np.float32)
    if compiled:
        logits[1] = [0.1, 0.2, 0.7]
    emit("logits", logits)
    """,
        test_app="""
    def test_it(nuitka):
        nuitka.compile("app.py").run_both().assert_match(argmax=["logits"])
    """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "binary differs from script in 3 check(s): stdout (normalised), logits, argmax(logits)",
            "[[]stdout (normalised)[]]",
            "*-compiled: False at 0x7f3a2b1c9d10",
            "*+compiled: True at 0x7f3a2b1c9d10",
            "[[]logits[]]",
            "  3 of 6 elements differ (bit-identical); worst 3:",
            "  index * script * binary * |diff| * rel",
            "  (1, 2) * 0.2 * 0.7 * 0.5 * 2.5",
            "[[]argmax(logits)[]]",
            "  1 of 2 rows disagree:",
            "  1 * 0 * 2",
            "[[]script stderr*exit status 0*",
            "[[]binary stderr*exit status 0*",
        ]
    )


def test_tolerances_per_name(pytester: pytest.Pytester, plugin_run: PluginRun) -> None:
    write(
        pytester,
        app="""
    import numpy as np
    from pytest_nuitka.emit import emit
    shift = 1e-5 if "__compiled__" in globals() else 0.0
    emit("loose", np.float64([1.0, 2.0]) + shift)
    emit("tight", np.float64([1.0, 2.0]) + shift)
    """,
        test_app="""
    def test_it(nuitka):
        nuitka.compile("app.py").run_both().assert_match(rtol={"loose": 1e-4})
    """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["binary differs from script in 1 check(s): tight"])


def test_same_exception_matches_and_different_one_fails(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    write(
        pytester,
        same="raise ValueError('bad input 3')\n",
        other="""
    if "__compiled__" in globals():
        raise ModuleNotFoundError("No module named 'keras._tf_keras'")
    raise ValueError("bad input 3")
    """,
        test_app="""
    def test_same(nuitka):
        nuitka.compile("same.py").run_both().assert_match()
    def test_other(nuitka):
        nuitka.compile("other.py").run_both().assert_match()
    """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "[[]exception[]]",
            "  script: ValueError: bad input 3",
            "  binary: ModuleNotFoundError: No module named 'keras._tf_keras'",
        ]
    )


def test_files_written_to_out_placeholder_are_compared(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    write(
        pytester,
        app="""
    import json, pathlib, sys
    import numpy as np
    out = pathlib.Path(sys.argv[1])
    np.savez(out / "scores.npz", top=np.int64([2 if "__compiled__" in globals() else 1]))
    (out / "labels.json").write_text(json.dumps(["bird"]))
    (out / "report.txt").write_text("ok")
    """,
        test_app="""
    def test_it(nuitka):
        run = nuitka.compile("app.py").run_both("{out}")
        assert sorted(run.script.outputs) == ["labels", "report.txt", "scores/top"]
        run.assert_match()
    """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*in 1 check(s): scores/top"])


def test_signal_hang_and_invalid_utf8_are_reported(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    write(
        pytester,
        crash="""
    import os, signal
    if "__compiled__" in globals():
        os.kill(os.getpid(), signal.SIGSEGV)
    """,
        hang="""
    import subprocess, sys, time
    if "__compiled__" in globals():
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        print("child started", flush=True)
        time.sleep(600)
    """,
        garbage="""
    import sys
    sys.stdout.buffer.write(b"caf\\xe9 " + (b"\\xff" if "__compiled__" in globals() else b"ok"))
    """,
        test_app="""
    def test_crash(nuitka):
        nuitka.compile("crash.py").run_both().assert_match()
    def test_hang(nuitka):
        nuitka.compile("hang.py", timeout=3).run_both().assert_match()
    def test_garbage(nuitka):
        nuitka.compile("garbage.py").run_both().assert_match()
    """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        [
            "  binary: killed by SIGSEGV (signal 11)",
            "  binary: hung: no exit within 3s, its process tree was killed",
            r"*+caf\xe9 \xff",
        ]
    )


def test_hung_binary_children_are_killed(pytester: pytest.Pytester, plugin_run: PluginRun) -> None:
    write(
        pytester,
        hang="""
    import os, subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                             start_new_session=True)
    print(child.pid, flush=True)
    time.sleep(600)
    """,
        test_app="""
    from pytest_nuitka.base import process
    def test_it(nuitka):
        run = nuitka.compile("hang.py", timeout=5).run_script()
        assert run.timed_out
        assert not process.running(int(run.stdout.split()[0]))
    """,
    )
    plugin_run().assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("app", "expected"),
    [
        (None, "*NuitkaPluginError: missing.py not found; looked in: *"),
        ("def f(:\n", "*BuildError: *app.py:1: SyntaxError: *"),
    ],
)
def test_bad_scripts_give_clear_errors(
    pytester: pytest.Pytester, plugin_run: PluginRun, app: str | None, expected: str
) -> None:
    if app:
        (pytester.path / "app.py").write_text(app)
    write(
        pytester,
        test_app=f"""
    def test_it(nuitka):
        nuitka.compile("{"app.py" if app else "missing.py"}")
    """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([expected])
    assert "Traceback" not in result.stdout.str()


def test_failed_build_keeps_log_and_counts(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    write(
        pytester,
        app="print(1)\n",
        test_app="""
    def test_it(nuitka):
        nuitka.compile("app.py", env={"STANDIN_FAIL": "1"})
    """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*BuildError: stand-in: error: asked to fail",
            "*full log: */failed/*/entry/build.log",
            "*build directory kept: */failed/*/work",
            "nuitka: 0 build(s) in 0.0s, 0 cache hit(s), 1 failed build(s)",
        ]
    )
    assert not list((plugin_run.cache / "v1" / "entries").glob("*/*"))
    assert "asked to fail" in next(plugin_run.cache.rglob("build.log")).read_text()


def test_frozen_environment_variables_key_the_build(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    write(
        pytester,
        app="import os\nprint(os.environ.get('TF_USE_LEGACY_KERAS'))\n",
        test_app="""
    def test_plain(nuitka):
        nuitka.compile("app.py").run_both().assert_match()
    def test_legacy(nuitka):
        run = nuitka.compile("app.py", env={"TF_USE_LEGACY_KERAS": "1"}).run_both()
        run.assert_match()
        assert run.binary.stdout.strip() == "1"
    """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["nuitka: 2 build(s) in *s, 0 cache hit(s), 0 failed build(s)"])


def test_report_header(
    pytester: pytest.Pytester, plugin_run: PluginRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    write(pytester, test_app="def test_nothing():\n    pass\n")
    result = plugin_run()
    result.stdout.fnmatch_lines(
        [
            "nuitka: Python 3.*, nuitka *, tensorflow *, keras *, tf-keras *,"
            " torch *, TF_USE_LEGACY_KERAS=-, KERAS_BACKEND=torch, cache *"
        ]
    )


def test_missing_compiler_and_missing_nuitka_are_named(
    pytester: pytest.Pytester, plugin_run: PluginRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the real compiler: preflight checks fail before any build starts."""
    write(
        pytester,
        app="print(1)\n",
        test_app="""
    import pytest
    from pytest_nuitka.base import environment
    def test_no_cc(nuitka, monkeypatch):
        monkeypatch.setenv("CC", "/nonexistent/gcc")
        environment._c_compiler.cache_clear()
        nuitka.compile("app.py")
    def test_no_nuitka(nuitka, monkeypatch):
        monkeypatch.setattr(environment, "version_of", lambda name: None)
        nuitka.compile("app.py")
    """,
    )
    result = pytester.runpytest("--nuitka-compile", f"--nuitka-cache-dir={plugin_run.cache}")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*BuildError: no C compiler found on PATH (looked for $CC=/nonexistent/gcc)*",
            "*BuildError: Nuitka is not installed in the interpreter under test (*). Install it "
            "there: * -m pip install 'nuitka>=2.0'",
        ]
    )


def test_a_long_build_says_it_is_still_going_with_the_compilers_last_line(
    pytester: pytest.Pytester, plugin_run: PluginRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(builder, "PROGRESS_EVERY", 0.2)
    slow = TEST_MATCH.replace('"app.py"', '"app.py", env={"STANDIN_SLEEP": "1"}')
    write(pytester, app=MATCHING_APP, test_app=slow)
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "nuitka: compiling app.py (accelerated): not in the cache ...",
            "nuitka: still compiling app.py (accelerated): 0s so far; stand-in: building /*",
            "nuitka: built app.py (accelerated) in 1.*s",
        ]
    )
    fast = plugin_run("--nuitka-compile")
    assert "still compiling" not in fast.stdout.str()  # a hit says one line


def test_the_last_line_of_a_log_as_a_progress_line_shows_it(tmp_path: Path) -> None:
    log = tmp_path / "log"
    assert builder.last_line(log) == ""  # not written yet
    log.write_bytes(b"first\n" + b"x" * 5000 + b"\nNuitka: Running C compilation \xff\n\n")
    assert builder.last_line(log) == "Nuitka: Running C compilation \\xff"
    log.write_text("y" * 200)
    assert builder.last_line(log, width=10) == "yyyyyyy..."


@pytest.mark.parametrize(
    ("tb", "shown", "hidden"),
    [
        ("auto", ["test_app.py:3: in test_it", "    run.assert_match()"], ["*api/pair.py*"]),
        ("short", ["test_app.py:3: in test_it"], ["*api/pair.py*"]),
        ("long", ["test_app.py:3: in test_it", "*pytest_nuitka/api/pair.py:*: in check"], []),
        ("line", [], ["test_app.py:3: in test_it"]),
    ],
)
def test_a_failure_says_where_in_the_test_as_tb_asks(
    pytester: pytest.Pytester, plugin_run: PluginRun, tb: str, shown: list[str], hidden: list[str]
) -> None:
    write(
        pytester,
        app="print(2 if '__compiled__' in globals() else 1)\n",
        test_app="""
        def test_it(nuitka):
            run = nuitka.compile("app.py").run_both()
            run.assert_match()
        """,
    )
    result = plugin_run("--nuitka-compile", f"--tb={tb}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*binary differs from script in 1 check(s): stdout*", *shown])
    for line in hidden:
        result.stdout.no_fnmatch_line(line)


def test_xdist_workers_build_a_shared_app_once(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    """The slow stand-in build makes both workers ask while the first build runs."""
    slow = TEST_MATCH.replace('"app.py"', '"app.py", env={"STANDIN_SLEEP": "2"}')
    write(
        pytester,
        app=MATCHING_APP,
        test_app="".join(slow.replace("test_it", f"test_{i}") for i in range(6)),
    )
    result = plugin_run("--nuitka-compile", "-n", "2", subprocess=True)
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["nuitka: 1 build(s) in *s, 5 cache hit(s), 0 failed build(s)"])


def test_env_none_unsets_a_variable_for_build_and_runs(
    pytester: pytest.Pytester, plugin_run: PluginRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "1")
    write(
        pytester,
        app="import os\nprint(os.environ.get('TF_USE_LEGACY_KERAS'))\n",
        test_app="""
    def test_unset(nuitka):
        run = nuitka.compile("app.py", env={"TF_USE_LEGACY_KERAS": None}).run_both()
        run.assert_match()
        assert run.binary.stdout.strip() == "None"
    def test_inherited(nuitka):
        run = nuitka.compile("app.py").run_both()
        assert run.binary.stdout.strip() == "1"
    """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["nuitka: 2 build(s) in *s, 0 cache hit(s), 0 failed build(s)"])


def test_a_failed_build_is_not_tried_again_in_the_session(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    write(
        pytester,
        app="print(1)\n",
        test_app="""
    import pytest

    @pytest.mark.parametrize("n", [1, 2, 3])
    def test_it(nuitka, n):
        nuitka.compile("app.py", env={"STANDIN_FAIL": "1"})
    """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        [
            "*already failed in this session and is not tried again*",
            "nuitka: 0 build(s) in 0.0s, 0 cache hit(s), 1 failed build(s)",
        ]
    )


def test_a_nuitka_option_for_every_build_from_the_ini_and_the_command_line(
    pytester: pytest.Pytester, plugin_run: PluginRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ini's nuitka_args, then each --nuitka-option, reach every build and its key."""
    pytester.makepyfile(app="print('hi')\n")
    pytester.makeini("[pytest]\nnuitka_args = --jobs=1\n")
    pytester.makepyfile(
        test_it="""
        import os

        def test_it(nuitka):
            app = nuitka.compile("app.py")
            given = [o for o in app.options if o in ("--jobs=1", "--lto=no")]
            assert given == os.environ["EXPECTED"].split()
        """
    )
    monkeypatch.setenv("EXPECTED", "--jobs=1 --lto=no")
    built = plugin_run("--nuitka-compile", "--nuitka-option=--lto=no")
    again = plugin_run("--nuitka-compile", "--nuitka-option=--lto=no")
    monkeypatch.setenv("EXPECTED", "--jobs=1")
    without = plugin_run("--nuitka-compile")
    for result in (built, again, without):
        result.assert_outcomes(passed=1)
    built.stdout.fnmatch_lines(["nuitka: 1 build(s) in *, 0 cache hit(s), 0 failed build(s)"])
    again.stdout.fnmatch_lines(["nuitka: 0 build(s) in *, 1 cache hit(s), 0 failed build(s)"])
    without.stdout.fnmatch_lines(["nuitka: 1 build(s) in *, 0 cache hit(s), 0 failed build(s)"])


def test_a_bad_cache_size_is_a_usage_error(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    pytester.makepyfile(test_x="def test_x(): pass")
    result = plugin_run("--nuitka-cache-size=lots")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*cache size 'lots': give bytes or a number with K, M, G or T*"])


@pytest.mark.parametrize(
    ("option", "said"),
    [
        ("--nuitka-run-timeout=-5", "*nuitka_run_timeout: -5*: give a number of seconds above 0*"),
        ("--nuitka-run-timeout=0", "*nuitka_run_timeout: 0*: give a number of seconds above 0*"),
        ("--nuitka-build-timeout=nan", "*nuitka_build_timeout: nan: give a number of seconds*"),
        ("--nuitka-cache-size=-5G", "*cache size '-5G': give bytes or a number*"),
        ("--nuitka-results=/dev/null/cell.json", "*--nuitka-results /dev/null/cell.json: cannot*"),
    ],
)
def test_a_bad_value_is_a_usage_error_before_anything_runs(
    pytester: pytest.Pytester, plugin_run: PluginRun, option: str, said: str
) -> None:
    pytester.makepyfile(test_x="def test_x(): pass")
    result = plugin_run(option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([said])


@pytest.mark.parametrize(
    ("ini", "said"),
    [
        (
            "nuitka_mode = bogus",
            "*nuitka_mode: 'bogus': give one of accelerated, standalone, onefile*",
        ),
        ("nuitka_torch_jit = of", "*nuitka_torch_jit: 'of': give one of on, off*"),
        ("nuitka_stderr = maybe", "*nuitka_stderr: invalid truth value 'maybe'*"),
    ],
)
def test_a_bad_ini_value_names_its_key(
    pytester: pytest.Pytester, plugin_run: PluginRun, ini: str, said: str
) -> None:
    pytester.makepyfile(test_x="def test_x(): pass")
    pytester.makeini(f"[pytest]\n{ini}\n")
    result = plugin_run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([said])


def test_results_that_cannot_be_written_at_the_end_end_nothing(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    results = pytester.path / "results"
    results.mkdir()
    pytester.makepyfile(
        test_x=f"""
        import os
        def test_x():
            os.rmdir({str(results)!r})
            open({str(results)!r}, "w").close()  # a file where the folder was
        """
    )
    result = plugin_run(f"--nuitka-results={results / 'cell.json'}")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines([f"nuitka: the results were not written to {results}/cell.json: *"])
    assert not list(pytester.path.glob("results*/.cell.json.partial"))
