"""Round-trips through ``app.roundtrip()`` and manifests, one-sided variables, and the evidence
a failure keeps: inner sessions with the stand-in compiler."""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_nuitka.api.roundtrip import LoaderNameError, Plan, Tool
from pytest_nuitka.base.errors import NuitkaPluginError
from pytest_nuitka.cache import __main__ as cachetool

if TYPE_CHECKING:
    from conftest import PluginRun

# save emits what it saved only with --emit; the binary's load can be told to drift.
APP = """
import os
import sys
import numpy as np
from pytest_nuitka.emit import emit

compiled = "__compiled__" in globals()
command, path = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else None)
weights = np.float32([[0.2, 0.8], [0.6, 0.4]])
if command == "predict":
    emit("probs", weights)
    emit("debug", {"pid": os.getpid()})
elif command == "save":
    np.save(path, weights)
    if "--emit" in sys.argv:
        emit("probs", weights)
elif command == "load":
    probs = np.load(path)
    if compiled and os.environ.get("DRIFT"):
        probs = probs + np.float32(1e-3)
    emit("probs", probs)
elif command == "env":
    print("MODE", os.environ.get("MODE"))
"""


def write(pytester: pytest.Pytester, test: str, manifest: str | None = None) -> None:
    (pytester.path / "app.py").write_text(textwrap.dedent(APP))
    pytester.makepyfile(test_it=textwrap.dedent(test))
    if manifest is not None:
        folder = pytester.mkdir("case")
        (folder / "app.py").write_text(textwrap.dedent(APP))
        (folder / "nuitka-case.toml").write_text(textwrap.dedent(manifest))


def test_roundtrip_checks_all_four_directions(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    write(
        pytester,
        """
        def test_it(nuitka):
            app = nuitka.compile("app.py")
            trip = app.roundtrip(save=["save", "{artifact}", "--emit"], load=["load", "{artifact}"],
                                 artifact="model.npy")
            trip.assert_match()
            assert trip.names == ["script->script", "script->binary", "binary->script",
                                  "binary->binary"]
            assert trip["binary->script"].side == "script"
            assert trip["script->binary"].side == "binary"
            artifact = trip.trips.saved("binary")[1]
            assert artifact.name == "model.npy" and artifact.parent.name == "artifact"
            assert not str(artifact).startswith(str(trip.saved("binary").cwd.parent / "out"))
        """,
    )
    plugin_run("--nuitka-compile").assert_outcomes(passed=1)


def test_roundtrip_failure_names_each_failing_direction(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    write(
        pytester,
        """
        def test_it(nuitka):
            app = nuitka.compile("app.py", env={"DRIFT": "1"})
            app.roundtrip(save=["save", "{artifact}", "--emit"], load=["load", "{artifact}"],
                          artifact="model.npy").assert_match()
        """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*round-trip 'roundtrip1' (model.npy) fails in 2 of 4 direction(s): "
            "binary->binary, script->binary",
            "[[]script->binary: probs; held against the script's save run (in memory)[]]",
            "*4 of 4 elements differ (bit-identical)*",
        ]
    )


def test_a_save_that_emits_nothing_is_named_and_can_be_held_against_loads_or_a_run(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    write(
        pytester,
        """
        SAVE, LOAD = ["save", "{artifact}"], ["load", "{artifact}"]

        def test_default(nuitka):
            nuitka.compile("app.py").roundtrip(SAVE, LOAD, "model.npy").assert_match()

        def test_loads(nuitka):
            trip = nuitka.compile("app.py").roundtrip(SAVE, LOAD, "model.npy")
            trip.assert_match(against="loads")

        def test_run(nuitka):
            app = nuitka.compile("app.py")
            predicted = app.run_both("predict")
            app.roundtrip(SAVE, LOAD, "model.npy").assert_match(against=predicted,
                                                                 outputs=["probs"])

        def test_run_drift(nuitka):
            app = nuitka.compile("app.py", env={"DRIFT": "1"})
            predicted = app.run_both("predict")
            app.roundtrip(SAVE, LOAD, "model.npy").assert_match(against=predicted,
                                                                 outputs=["probs"])
        """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(passed=2, failed=2)
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "[[]script->script: nothing to compare: the script's save run (in memory) "
            "emitted nothing[]]",
            "  outputs compared: none",
            "  a save that emits nothing can be held against the loads (against='loads') or *",
        ]
    )
    assert "not emitted by the script" not in out
    result.stdout.fnmatch_lines(["*script->binary: probs; held against the script's run*"])


MANIFEST = """
description = "a save that emits nothing"

[[runs]]
name = "predict"
args = ["predict"]
exclude = ["debug"]

[[roundtrips]]
name = "{name}"
save = ["save", "{{artifact}}"]
load = ["load", "{{artifact}}"]
artifact = "model.npy"
{extra}
"""


@pytest.mark.parametrize(
    ("extra", "passed", "failed", "shown"),
    [
        ("", 1, 4, "*script->script (model.npy): nothing to compare: the script's save run*"),
        ('against = "loads"', 5, 0, None),
        ('against = "run:predict"\noutputs = ["probs"]', 5, 0, None),
        (
            'against = "run:predict"',
            1,
            4,
            "[[]debug; held against the script's run (predict)[]]",
        ),
        ('against = "run:predict"\nexclude = ["debug"]', 5, 0, None),
    ],
)
def test_manifest_round_trip_references(
    pytester: pytest.Pytester,
    plugin_run: PluginRun,
    extra: str,
    passed: int,
    failed: int,
    shown: str | None,
) -> None:
    write(pytester, "", MANIFEST.format(name="npy", extra=extra))
    result = plugin_run("--nuitka-compile", "case")
    result.assert_outcomes(passed=passed, failed=failed)
    if shown:
        result.stdout.fnmatch_lines([shown])
    assert "predicts differently" not in result.stdout.str()  # the old, wrong wording


def test_manifest_against_an_unknown_run_is_a_collection_error(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    write(pytester, "", MANIFEST.format(name="npy", extra='against = "run:nope"'))
    result = plugin_run("--nuitka-compile", "case")
    result.stdout.fnmatch_lines(
        ["*roundtrips[[]0[]].against: 'run:nope': give*NAME one of the [[][[]runs[]][]]: predict"]
    )


def test_one_sided_variable_is_named_in_the_failure(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    write(
        pytester,
        """
        def test_it(nuitka):
            pair = nuitka.compile("app.py", env={"SAME": "1", "KEEP": "1"}).run_both(
                "env", binary_env={"MODE": "fast", "SAME": "1"}, script_env={"KEEP": None})
            assert pair.binary.env["MODE"] == "fast" and "MODE" not in pair.script.env
            pair.assert_match()
        """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*-MODE None",
            "*+MODE fast",
            "note: set for the script only: KEEP=(unset)",
            "note: set for the binary only: MODE=fast",
        ]
    )
    assert "SAME" not in result.stdout.str()  # the same value on both sides is not one-sided


def kept_folders(cache: Path) -> list[Path]:
    return sorted((cache / "v1" / "evidence").iterdir())


def test_a_failure_keeps_its_runs_until_pruned(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    write(
        pytester,
        """
        def test_drift(nuitka):
            app = nuitka.compile("app.py", env={"DRIFT": "1"})
            app.roundtrip(["save", "{artifact}", "--emit"], ["load", "{artifact}"],
                          "model.npy").assert_match()
        """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(failed=1)
    [kept] = kept_folders(plugin_run.cache)
    out = result.stdout.str()
    assert f"kept until pruned (python -m pytest_nuitka.cache --prune SIZE): {kept}" in out
    assert "basetemp" not in out.split("kept until pruned")[0].split("cwd ")[-1]
    assert f"cwd {kept}/" in out  # the message points at the copy
    names = {p.name for p in kept.iterdir()}
    assert {"failure.txt", "app1-roundtrip1-saved-by-binary"} <= names
    assert any(name.endswith("-binary") and "saved" not in name for name in names)
    assert (kept / "app1-roundtrip1-saved-by-binary" / "artifact" / "model.npy").is_file()
    assert "fails in 2 of 4 direction(s)" in (kept / "failure.txt").read_text()
    # Later sessions add theirs; each test keeps its newest three; the cache tool prunes them.
    for _ in range(3):
        plugin_run("--nuitka-compile").assert_outcomes(failed=1)
    assert len(kept_folders(plugin_run.cache)) == 3
    assert kept not in kept_folders(plugin_run.cache)
    assert cachetool.main(["--cache-dir", str(plugin_run.cache)]) == 0
    assert cachetool.main(["--cache-dir", str(plugin_run.cache), "--prune", "0"]) == 0
    assert kept_folders(plugin_run.cache) == []


def test_an_expected_failure_keeps_nothing(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    write(
        pytester,
        """
        import pytest

        @pytest.mark.xfail(strict=True)
        def test_drift(nuitka):
            app = nuitka.compile("app.py", env={"DRIFT": "1"})
            app.roundtrip(["save", "{artifact}", "--emit"], ["load", "{artifact}"],
                          "model.npy").assert_match()
        """,
    )
    plugin_run("--nuitka-compile").assert_outcomes(xfailed=1)
    assert kept_folders(plugin_run.cache) == []


FILTERED_APP = """
import os
import sys

if "unfiltered" in os.environ.get("PYTHONPATH", ""):
    print("again", file=sys.stderr)
    sys.exit("ValueError: the real error")
sys.stderr.write(
    "Traceback (most recent call last):\\n"
    '  File "/site/keras/src/utils/traceback_utils.py", line 122, in error_handler\\n'
    "SystemError: bad argument to internal function\\n"
)
sys.exit(1)
"""


def test_an_error_behind_the_traceback_filter_is_run_again_once(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    """A failed save that went through Keras's filter fails every direction it feeds: it is
    run again with filtering off once, and each failure shows what that run said."""
    folder = pytester.mkdir("case")
    (folder / "app.py").write_text(FILTERED_APP)
    (folder / "nuitka-case.toml").write_text(
        textwrap.dedent(
            """
            description = "a save that fails behind the filter"
            [[roundtrips]]
            name = "m"
            save = ["save", "{artifact}"]
            load = ["load", "{artifact}"]
            artifact = "m.npy"
            """
        )
    )
    result = plugin_run("--nuitka-compile", "case")
    result.assert_outcomes(failed=4)
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "the script failed to save m.npy: SystemError: bad argument to internal function",
            "the script again with Keras's traceback filtering off (exit status 1; cwd *):",
            "  exit message: ValueError: the real error",
        ]
    )
    again = re.findall(r"the (\w+) again with Keras's traceback filtering off .*cwd (.*)/cwd", out)
    folders = {side: {Path(folder).name for s, folder in again if s == side} for side, _ in again}
    assert {side: len(names) for side, names in folders.items()} == {"script": 1, "binary": 1}


HOSTILE_APP = """
import os
import socket
import sys
from pathlib import Path
import numpy as np
from pytest_nuitka.emit import emit

command, path = sys.argv[1], Path(sys.argv[2]) if len(sys.argv) > 2 else None
if command == "save":
    if "--nowrite" not in sys.argv:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, np.float32([1, 2]))
    emit("probs", np.float32([1, 2]))
elif command == "load":
    emit("probs", np.load(path) if path.exists() else np.float32([1, 2]))
    emit("label", "extra")  # more than the save emitted
    if "--script-fails" in sys.argv and "__compiled__" not in globals():
        sys.exit("script cannot load")
elif command == "crash":
    raise IndexError("the reference crashed")
elif command == "socket":
    socket.socket(socket.AF_UNIX).bind("app.sock")
    print("PYTORCH_JIT", os.environ.get("PYTORCH_JIT"))
"""


def hostile(pytester: pytest.Pytester, test: str) -> None:
    (pytester.path / "app.py").write_text(textwrap.dedent(HOSTILE_APP))
    pytester.makepyfile(test_it=textwrap.dedent(test))


def test_round_trips_a_hostile_user_tried(pytester: pytest.Pytester, plugin_run: PluginRun) -> None:
    hostile(
        pytester,
        """
        import pytest
        from pytest_nuitka.base.errors import NuitkaPluginError

        def trip(nuitka, *extra, artifact="m.npy"):
            app = nuitka.compile("app.py")
            return app, app.roundtrip(["save", "{artifact}", *extra],
                                      ["load", "{artifact}", *extra], artifact)

        def test_save_that_writes_nothing(nuitka):
            trip(nuitka, "--nowrite")[1].assert_match()

        def test_load_that_emits_more_than_the_save(nuitka):
            trip(nuitka)[1].assert_match()

        def test_reference_load_that_failed(nuitka):
            trip(nuitka, "--script-fails")[1].assert_match(against="loads")

        def test_reference_run_that_crashed(nuitka):
            app, rt = trip(nuitka)
            rt.assert_match(against=app.run_both("crash"))

        def test_artifact_in_a_subfolder(nuitka):
            trip(nuitka, artifact="export/model/m.npy")[1].assert_match()

        @pytest.mark.parametrize("name", ["/tmp/m.npy", "../m.npy", ""])
        def test_artifact_outside_its_folder(nuitka, name):
            with pytest.raises(NuitkaPluginError, match="give a relative path"):
                trip(nuitka, artifact=name)

        def test_socket_in_the_run_folder(nuitka):
            pair = nuitka.compile("app.py").run_both("socket", binary_env={"PYTORCH_JIT": "0"})
            pair.assert_match()
        """,
    )
    result = plugin_run("--nuitka-compile", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5, failed=4)
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "  the script's save exited 0 and wrote no m.npy",
            "  the script->script load, the reference, failed: exit status 1",
            "  the script's run (crash), the reference, failed: IndexError: the reference crashed",
            "not kept (not regular files, or unreadable):",
            "  */cwd/app.sock: a socket",
        ]
    )
    assert "test_load_that_emits_more_than_the_save PASSED" in out or "label" not in out
    assert "known issue [torch-jit-disabled]" not in out  # no torch, no record: no evidence
    kept = sorted((plugin_run.cache / "v1" / "evidence").iterdir())
    assert all((k / "failure.txt").is_file() for k in kept)
    socket_run = [k for k in kept if "socket" in k.name]
    assert [p.name for p in socket_run[0].glob("*-binary/stdout.txt")] == ["stdout.txt"]


def test_evidence_folders_of_look_alike_ids_stay_apart(tmp_path: Path) -> None:
    from pytest_nuitka.cache import evidence

    run = tmp_path / "run"
    run.mkdir()
    kept = [evidence.keep(tmp_path / "e", f"t.py::test[heron{c}1.jpg]", [run], "m")[0]
            for c in " _+,&"]  # fmt: skip
    assert len({evidence.slug(f"t.py::test[heron{c}1.jpg]") for c in " _+,&"}) == 5
    assert all(k.is_dir() for k in kept)
    for _ in range(5):
        last, _ = evidence.keep(tmp_path / "e", "t.py::x", [run], "m")
        assert last.is_dir()
    assert len(list((tmp_path / "e").glob("*t.py_x-*"))) == evidence.PER_TEST


def test_a_comparator_name_is_checked_when_the_manifest_is_read(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    write(pytester, "", MANIFEST.format(name="npy", extra='comparators = { probs = "nocolon" }'))
    result = plugin_run("--nuitka-compile", "case")
    result.stdout.fnmatch_lines(
        ["*roundtrips[[]0[]].comparators: comparator 'nocolon': give a built-in*"]
    )


def test_a_tool_says_what_is_missing_distributions_and_paths(tmp_path: Path) -> None:
    present = tmp_path / "node_modules" / "@tensorflow" / "tfjs"
    present.mkdir(parents=True)
    tool = Tool("tfjs", ("{python}", "x.py"), ("numpy", str(present)), "bash setup.sh")
    assert tool.missing() is None
    assert tool.argv()[0] == sys.executable
    gone = Tool("tfjs", needs=("numpy", str(tmp_path / "nothing"), "no-such-dist"))
    assert gone.missing() == (
        f"the loader tool 'tfjs' needs {tmp_path / 'nothing'}, no-such-dist: "
        "install the package that provides it"
    )
    with pytest.raises(NuitkaPluginError, match=r"'no-such-program' not found .*: bash setup"):
        Tool("t", ("no-such-program",), install="bash setup.sh").argv()


def test_a_tool_program_beside_the_interpreter_comes_before_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    interpreter = Path(sys.executable)
    decoy = tmp_path / interpreter.name
    decoy.write_text("#!/bin/sh\n")
    decoy.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    tool = Tool("t", (interpreter.name, "-c", "{python}"))
    assert tool.argv() == [str(interpreter.parent / interpreter.name), "-c", sys.executable]
    # A path is the user's own: used as given, from the run's folder.
    assert Tool("t", ("./tools/load", "x")).argv() == ["./tools/load", "x"]


SAVER_LOADER = """
import sys
from pytest_nuitka.emit import emit

side = "binary" if "__compiled__" in globals() else "script"
command, path = sys.argv[1], sys.argv[2]
if command == "save":
    with open(path, "w") as saved:
        saved.write(side)
else:
    with open(path) as saved:
        emit("saved_by", saved.read())
    emit("loaded_by", side)
"""


def test_each_direction_is_its_own_saver_and_loader(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    (pytester.path / "app.py").write_text(textwrap.dedent(SAVER_LOADER))
    pytester.makepyfile(
        test_it="""
        import pytest
        from pytest_nuitka.base.errors import NuitkaPluginError

        def test_directions(nuitka):
            trip = nuitka.compile("app.py").roundtrip(
                ["save", "{artifact}"], ["load", "{artifact}"], "who.txt"
            )
            for direction in trip.names:
                saver, loader = direction.split("->")
                loaded = trip[direction]
                assert (loaded.outputs["saved_by"], loaded.outputs["loaded_by"]) == (saver, loader)
            assert trip.saved("binary").side == "binary"
            with pytest.raises(NuitkaPluginError, match="side 'bin': give 'script' or 'binary'"):
                trip.saved("bin")
            with pytest.raises(KeyError) as raised:
                trip["binary->nowhere"]
            assert raised.value.args[0] == (
                "'binary->nowhere'; the directions are: "
                "script->script, script->binary, binary->script, binary->binary"
            )
        """
    )
    plugin_run("--nuitka-compile").assert_outcomes(passed=1)


def test_what_a_reference_did_not_emit_is_named_with_what_it_did(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    write(
        pytester,
        """
        SAVE, LOAD = ["save", "{artifact}"], ["load", "{artifact}"]

        def test_against_run(nuitka):
            app = nuitka.compile("app.py")
            predicted = app.run_both("predict")
            app.roundtrip(SAVE, LOAD, "model.npy").assert_match(
                against=predicted, outputs=["probs", "logits"]
            )

        def test_against_save(nuitka):
            trip = nuitka.compile("app.py").roundtrip(SAVE, LOAD, "model.npy")
            trip.assert_match(outputs=["probs"])
        """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "[[]binary->binary: logits; held against the script's run (predict)[]]",
            "  not emitted by the script's run (predict); it emitted: debug, probs",
            "",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "[[]binary->binary: probs; held against the binary's save run (in memory)[]]",
            "  not emitted by the binary's save run (in memory); it emitted: nothing",
            "  a save that emits nothing can be held against the loads (against='loads') or "
            'against a run\'s outputs (against=<run>; in a manifest against = "run:NAME")',
            "",
        ]
    )


@pytest.mark.parametrize("name", ["", "script", "binary", "onnx->runtime"])
def test_a_loader_tool_is_named_so_that_a_direction_reads_one_way(name: str) -> None:
    with pytest.raises(LoaderNameError) as raised:
        Tool(name)
    assert str(raised.value) == (
        f"loader tool {name!r}: name it without '->', and other than script or binary "
        "(it is the loader in a direction, script->NAME)"
    )


def test_tolerances_comparators_and_exclusions_reach_every_direction(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    """The binary's load adds 1e-3 to what it read: each way of allowing that passes, and
    the failure without one shows the runs of all four directions."""
    write(
        pytester,
        """
        import numpy as np

        SAVE, LOAD = ["save", "{artifact}", "--emit"], ["load", "{artifact}"]

        def trip(nuitka):
            return nuitka.compile("app.py", env={"DRIFT": "1"}).roundtrip(SAVE, LOAD, "m.npy")

        def close(name, script, binary, rtol, atol):
            assert np.allclose(script, binary, atol=2e-3)

        def test_rtol(nuitka):
            trip(nuitka).assert_match(rtol=1e-2)

        def test_atol(nuitka):
            trip(nuitka).assert_match(atol=2e-3)

        def test_comparator(nuitka):
            trip(nuitka).assert_match(comparators={"probs": close})

        def test_exclude(nuitka):
            app = nuitka.compile("app.py")
            predicted = app.run_both("predict")
            app.roundtrip(SAVE, LOAD, "m.npy").assert_match(against=predicted, exclude=["debug"])

        def test_drift(nuitka):
            trip(nuitka).assert_match()
        """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        ["*(m.npy) fails in 2 of 4 direction(s): binary->binary, script->binary"]
    )
    failure = result.stdout.str().split("short test summary info")[0]  # (CI=true repeats it)
    shown = [
        line for line in failure.splitlines() if line.startswith(("[script std", "[binary std"))
    ]
    assert len(shown) == 6  # two saves, four loads


LOGGING_APP = """
import os
import sys

with open(os.environ["LOG"], "a") as log:
    log.write(" ".join(sys.argv[1:2]) + "\\n")
if sys.argv[1] == "save":
    with open(sys.argv[2], "w") as saved:
        saved.write("x")
else:
    from pytest_nuitka.emit import emit

    with open(sys.argv[2]) as saved:
        emit("read", saved.read())
"""


def test_a_round_trip_has_run_when_it_returns_and_a_loader_that_cannot_start_fails_its_direction(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    (pytester.path / "app.py").write_text(textwrap.dedent(LOGGING_APP))
    log = pytester.path / "log.txt"
    pytester.makepyfile(
        test_it=f"""
        from pytest_nuitka.api.roundtrip import Tool

        SAVE, LOAD = ["save", "{{artifact}}"], ["load", "{{artifact}}"]

        def test_ran(nuitka):
            trip = nuitka.compile("app.py", env={{"LOG": {str(log)!r}}}).roundtrip(
                SAVE, LOAD, "m.txt"
            )
            with open({str(log)!r}) as log:
                assert sorted(log.read().split()) == ["load"] * 4 + ["save"] * 2
            trip.assert_match(against="loads")

        def test_tool_not_there(nuitka):
            app = nuitka.compile("app.py", env={{"LOG": {str(log)!r}}})
            trip = app.roundtrip(SAVE, ["{{artifact}}"], "m.txt", tool=Tool("t", ("./absent",)))
            trip.assert_match()

        def test_input_not_there(nuitka):
            app = nuitka.compile("app.py", env={{"LOG": {str(log)!r}}})
            app.roundtrip(SAVE, LOAD, "m.txt", files=["absent.csv"]).assert_match()
        """
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(passed=1, failed=2)
    missing = result.stdout.str().split(" test_input_not_there ")[1].split("short test summary")[0]
    assert "absent.csv not found; looked in:" in missing
    assert "TypeError" not in missing  # the waits that settle a round-trip pass it on as it is
    result.stdout.fnmatch_lines(
        [
            "round-trip 'roundtrip1' (m.txt) fails in 2 of 2 direction(s): binary->t, script->t",
            "",
            "[[]script->t[]]",
            "  the t could not load the m.txt: [[]Errno 2[]] No such file or directory: './absent'",
        ]
    )


def test_a_misspelt_round_trip_keyword_is_an_error_that_names_it() -> None:
    with pytest.raises(TypeError, match=r"tol.*save, load, artifact, tool, files, env"):
        Plan.of(["save"], ["load"], "m.npy", tol=1)  # type: ignore[call-arg]
