"""The known-issue table, each entry triggered for real: here, in tests/run/test_portable.py, or
by a model zoo expectation that names it (in the matrix cell where it happens)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import ROOT
from pytest_nuitka.check.diagnose import (
    DiagnosedFailure,
    Diagnosis,
    _issue,
    diagnose,
    known_issues,
)
from pytest_nuitka.run.runs import Build, Run, Side

if TYPE_CHECKING:
    from pytest_nuitka.api.session import Nuitka

ZOO = ROOT / "model_zoo"


def ids(failure: pytest.ExceptionInfo[DiagnosedFailure]) -> list[str]:
    return [d.issue.id for d in failure.value.diagnoses]


def test_every_entry_is_unique_and_triggered_by_a_test_or_a_zoo_expectation() -> None:
    names = [issue.id for issue in known_issues()]
    assert len(names) == len(set(names))
    texts = [p.read_text() for p in (ROOT / "tests").rglob("test_*.py")]
    texts += [p.read_text() for p in ZOO.glob("*/nuitka-case.toml")]
    untested = [n for n in names if not any(f'"{n}"' in t or f"[{n}]" in t for t in texts)]
    assert untested == []


def test_every_remedy_is_verified_by_a_test_that_applies_it() -> None:
    """``verified`` names a test function that exists, or a check of a model zoo case that
    is collected and expected to pass (no expectation names it)."""
    unverified = []
    for issue in known_issues():
        where, _, check = issue.verified.partition("::")
        path = ROOT / where
        if where.startswith("tests/"):
            ok = path.is_file() and f"def {check}(" in path.read_text()
        else:
            manifest = (path / "nuitka-case.toml").read_text()
            name = check.split(":")[1] if check.startswith("roundtrip:") else ""
            ok = f'name = "{name}"' in manifest and f'"{check}"' not in manifest
        if not ok:
            unverified.append((issue.id, issue.verified))
    assert unverified == []


def test_weights_only_unpickling_error(nuitka: Nuitka) -> None:
    app = nuitka.compile("tests/apps/torch_pickle/app.py")
    run = app.run_script("{out}/model.pt")
    assert not run.ok
    assert [d.issue.id for d in diagnose([run])] == ["torch-weights-only"]


def test_torch_jit_disabled_in_the_binary(nuitka: Nuitka) -> None:
    """What Nuitka's standalone default does (PYTORCH_JIT=0 before torch loads), done to the
    binary alone: the traced module comes back plain, and the binary's own record says so."""
    app = nuitka.compile(ZOO / "torch_jit_trace" / "app.py")
    pair = app.run_both("trace", binary_env={"PYTORCH_JIT": "0"})
    with pytest.raises(DiagnosedFailure) as failure:
        pair.assert_match()
    assert ids(failure) == ["torch-jit-disabled"]
    assert "the binary recorded torch.jit as disabled (PYTORCH_JIT='0' inside it)" in str(
        failure.value
    )
    assert "note: set for the binary only: PYTORCH_JIT=0" in str(failure.value)
    assert "module: Scorer script module: False" in pair.binary.stdout
    assert "script module: True" in pair.script.stdout
    assert (pair.script.runtime["torch_jit"], pair.binary.runtime["torch_jit"]) == (True, False)


@pytest.mark.nuitka_requires("torch")
def test_torch_jit_disabled_in_an_app_without_emit(nuitka: Nuitka) -> None:
    """No runtime record: the binary's environment and the app's use of torch.jit are the
    evidence. With the JIT off on both sides nothing is Nuitka's, and nothing is named."""
    app = nuitka.compile("tests/apps/torch_jit_plain/app.py")
    pair = app.run_both(binary_env={"PYTORCH_JIT": "0"})
    with pytest.raises(DiagnosedFailure) as failure:
        pair.assert_match()
    assert ids(failure) == ["torch-jit-disabled"]
    assert (
        "seen: PYTORCH_JIT=0 in the binary's environment, not the script's; the app uses "
        "torch.jit.trace (app.py:18)" in str(failure.value)
    )
    assert pair.binary.runtime == {}
    both_off = app.run_both(env={"PYTORCH_JIT": "0"})
    both_off.assert_match()
    assert "script module: False" in both_off.binary.stdout
    assert diagnose([both_off.script, both_off.binary]) == []


@pytest.mark.nuitka_requires("torch")
def test_the_jit_off_in_both_runs_by_their_records_is_not_the_binarys(nuitka: Nuitka) -> None:
    app = nuitka.compile(ZOO / "torch_jit_trace" / "app.py")
    pair = app.run_both("trace", env={"PYTORCH_JIT": "0"})
    pair.assert_match()
    assert (pair.script.runtime["torch_jit"], pair.binary.runtime["torch_jit"]) == (False, False)
    assert diagnose([pair.script, pair.binary]) == []


def test_a_standalone_build_with_the_jit_switched_off_is_evidence(tmp_path: Path) -> None:
    """Built standalone with Nuitka's switch off and torch compiled in: Nuitka sets
    PYTORCH_JIT=0 inside the binary, where no environment shows it. Shipping torch (the switch
    then has no effect) or an accelerated build is no evidence."""
    app = tmp_path / "app.py"
    app.write_text("import torch\nmodule = torch.jit.script(torch.nn.Identity())\n")
    off = "--module-parameter=torch-disable-jit=yes"

    def probe(build: Build) -> list[str]:
        script = run_of(Side.SCRIPT, ("python", str(app)))
        binary = dataclasses.replace(run_of(Side.BINARY, ("app.bin",)), build=build)
        return [d.issue.id for d in diagnose([script, binary])]

    assert probe(Build("standalone", (off,))) == ["torch-jit-disabled"]
    assert probe(Build("onefile", (off,))) == ["torch-jit-disabled"]
    assert probe(Build("standalone", (off,), ship=("torch",))) == []
    assert probe(Build("accelerated", (off,))) == []
    assert probe(Build("standalone", ("--module-parameter=torch-disable-jit=no",))) == []
    app.write_text("import torch\nprint(torch.ones(1))\n")
    assert probe(Build("standalone", (off,))) == []


def run_of(side: Side, argv: tuple[str, ...], env: dict[str, str] | None = None) -> Run:
    return Run(
        side=side,
        argv=argv,
        cwd=Path("/nowhere/cwd"),
        returncode=1,
        raw_stdout=b"",
        raw_stderr=b"",
        stdout="",
        outputs={},
        seconds=0.1,
        timed_out=False,
        timeout=10,
        env=env or {},
    )


def test_legacy_keras_evidence_is_an_import_of_tensorflow_keras(tmp_path: Path) -> None:
    """Nuitka rewrites imports only: an app reaching tf.keras through the attribute is not
    rewritten, and the variable must be set for the binary."""
    app = tmp_path / "app.py"
    legacy = {"TF_USE_LEGACY_KERAS": "1"}

    def probe(source: str, env: dict[str, str]) -> list[str]:
        app.write_text(source)
        script = run_of(Side.SCRIPT, ("python", str(app)), env)
        binary = run_of(Side.BINARY, ("app.bin",), env)
        return [d.issue.id for d in diagnose([script, binary])]

    assert probe("from tensorflow.keras import layers\n", legacy) == ["legacy-keras-rewrite"]
    assert probe("import tensorflow.keras\n", legacy) == ["legacy-keras-rewrite"]
    assert probe("from tensorflow.keras import layers\n", {}) == []
    assert probe("import tensorflow as tf\nm = tf.keras.Sequential()\n", legacy) == []
    (tmp_path / "model.py").write_text("from tensorflow.keras.layers import Dense\n")
    assert probe("import model\n", legacy) == ["legacy-keras-rewrite"]


@pytest.mark.nuitka_requires("tf-keras", "env:TF_USE_LEGACY_KERAS=1")
def test_legacy_keras_rewrite_in_an_app_without_emit(nuitka: Nuitka) -> None:
    app = nuitka.compile("tests/apps/legacy_keras_plain/app.py")
    run = app.run_both()
    with pytest.raises(DiagnosedFailure) as failure:
        run.assert_match()
    assert ids(failure) == ["legacy-keras-rewrite"]
    assert "model class from tf_keras" in run.script.stdout
    assert "model class from keras" in run.binary.stdout
    assert (
        "seen: TF_USE_LEGACY_KERAS=1 in the binary's environment, and the app imports "
        "tensorflow.keras (app.py:4)" in str(failure.value)
    )


@pytest.mark.parametrize("mode", ["accelerated", "standalone"])
def test_the_jit_option_alone_is_no_evidence(nuitka: Nuitka, mode: str) -> None:
    """Built with torch-disable-jit=yes where Nuitka does not apply it (accelerated; standalone
    shipping torch uncompiled): the JIT works on both sides, and no diagnosis may blame it."""
    app = nuitka.compile(
        ZOO / "torch_jit_trace" / "app.py",
        mode=mode,
        ship=["torch", "numpy"],
        options=["--module-parameter=torch-disable-jit=yes"],
    )
    pair = app.run_both("trace")
    pair.assert_match()
    assert "script module: True" in pair.binary.stdout
    assert pair.binary.runtime["torch_jit"] is True
    assert "--module-parameter=torch-disable-jit=yes" in app.options
    assert diagnose([pair.script, pair.binary]) == []


def test_torch_jit_choice_is_explicit_in_every_build(nuitka: Nuitka) -> None:
    app = nuitka.compile(ZOO / "torch_jit_trace" / "app.py")
    if app.binary is None:
        pytest.skip("the binary side needs --nuitka-compile")
    assert "--module-parameter=torch-disable-jit=no" in app.options


def test_code_object_of_a_compiled_function(nuitka: Nuitka) -> None:
    run = nuitka.compile("tests/apps/code_object/app.py").run_both()
    with pytest.raises(DiagnosedFailure) as failure:
        run.assert_match()
    assert ids(failure) == ["compiled-bytecode"]
    assert run.script.stdout == "6.0\n"
    assert "RuntimeError: Compiled function bytecode used" in run.binary.stderr


@pytest.mark.nuitka_requires("tf-keras", "env:TF_USE_LEGACY_KERAS=1")
@pytest.mark.parametrize("at_build", ["1", None], ids=["set-for-the-build-too", "unset-at-build"])
def test_legacy_keras_rewrite_whatever_the_build_sets(nuitka: Nuitka, at_build: str | None) -> None:
    """In the legacy cells the script's tensorflow.keras is tf_keras and the binary's Keras 3,
    also with TF_USE_LEGACY_KERAS set for the build (the remedy once advised). Predictions may
    agree; the Keras implementation each process loaded does not, and fails the check."""
    app = nuitka.compile(ZOO / "tf_keras_import" / "app.py", env={"TF_USE_LEGACY_KERAS": at_build})
    run = app.run_both("predict", env={"TF_USE_LEGACY_KERAS": "1"})
    with pytest.raises(DiagnosedFailure) as failure:
        run.assert_match(exclude=["keras_implementation"], stdout=False)
    assert ids(failure) == ["legacy-keras-rewrite"]
    message = str(failure.value)
    assert "[keras implementation]" in message
    assert "seen: the script loaded the model code of tf_keras 2." in message
    assert "the binary of tf_keras 2." in message and " and Keras 3." in message
    assert run.script.runtime["keras"] == ["tf_keras"]
    assert "keras 3" in run.binary.runtime["keras"]


@pytest.mark.nuitka_requires("keras", "tensorflow")
def test_keras_traceback_filter_crash_is_named_and_the_real_error_shown(nuitka: Nuitka) -> None:
    run = nuitka.compile("tests/apps/keras_filter/app.py").run_both()
    with pytest.raises(DiagnosedFailure) as failure:
        run.assert_match()
    assert ids(failure) == ["keras-traceback-filter"]
    message = str(failure.value)
    assert "bad argument to internal function" in run.binary.stderr
    assert "negative inputs are not allowed" not in run.binary.stderr  # hidden by the filter
    shown = message.split("the binary again with Keras's traceback filtering off")[1]
    real = shown.split("\n[")[0]  # up to the next section
    assert "ValueError: " in real and "negative inputs are not allowed" in real  # Keras 2 wraps it


@pytest.mark.nuitka_requires("keras>=3")
def test_keras_traceback_filter_hides_the_compiled_bytecode_error(nuitka: Nuitka) -> None:
    """Keras 3 re-raises a Lambda's failure from None; with filtering off the binary-saved
    Lambda's real error is the stub code object's, and compiled-bytecode names it."""
    app = nuitka.compile(ZOO / "lambda_layer" / "app.py")
    trip = app.roundtrip(
        ["save", "{artifact}", "--variant", "arguments"], ["load", "{artifact}"], "model.keras"
    )
    with pytest.raises(DiagnosedFailure) as failure:
        trip.assert_match()
    assert "compiled-bytecode" in ids(failure)
    assert "could not automatically infer the shape" in trip["binary->script"].stderr
    assert "Compiled function bytecode used" not in trip["binary->script"].stderr
    assert "RuntimeError: Compiled function bytecode used" in str(failure.value)


def test_a_clean_failure_matches_nothing(nuitka: Nuitka) -> None:
    run = nuitka.compile("tests/apps/divergent/app.py").run_both()
    with pytest.raises(DiagnosedFailure) as failure:
        run.assert_match()
    assert ids(failure) == []
    assert "known issue" not in str(failure.value)


def test_the_jit_records_name_the_binary_only_when_it_alone_had_the_jit_off() -> None:
    def probe(script_jit: bool | None, binary_jit: bool | None) -> list[str]:
        script = dataclasses.replace(
            run_of(Side.SCRIPT, ("python", "app.py")), runtime={"torch_jit": script_jit}
        )
        binary = dataclasses.replace(
            run_of(Side.BINARY, ("app.bin",)), runtime={"torch_jit": binary_jit}
        )
        return [d.issue.id for d in diagnose([script, binary])]

    assert probe(True, False) == ["torch-jit-disabled"]
    assert probe(False, False) == []
    assert probe(True, True) == []
    assert probe(True, None) == []


def test_an_entry_of_the_table_is_read_field_by_field() -> None:
    """``known_issues()`` is read once per process; this reads one entry itself, so that a
    field read wrongly fails here whatever the table holds."""
    raw = {
        "id": "x",
        "title": "a title",
        "explain": "why",
        "remedy": "do",
        "verified": "tests/t.py::test_x",
        "link": "https://example.org/1",
        "env": "A_VAR=on=off",
        "side": "binary",
        "output": "boom [0-9]+",
    }
    issue = _issue(raw)
    assert (issue.id, issue.title, issue.explain, issue.remedy) == ("x", "a title", "why", "do")
    assert (issue.verified, issue.link, issue.side) == (raw["verified"], raw["link"], "binary")
    assert issue.env == ("A_VAR", "on=off")
    assert issue.output is not None and issue.output.pattern == "boom [0-9]+"
    assert issue.runtime is None
    bare = _issue({k: raw[k] for k in ("id", "title", "explain", "remedy", "verified")})
    assert (bare.link, bare.env, bare.side, bare.output, bare.runtime) == (None,) * 5
    assert _issue({**raw, "runtime": "torch-jit"}).runtime == "torch-jit"
    with pytest.raises(ValueError, match=r"issue 'x' has unknown keys \['colour'\]"):
        _issue({**raw, "colour": "red"})
    with pytest.raises(ValueError, match="issue 'x': unknown runtime probe 'psychic'"):
        _issue({**raw, "runtime": "psychic"})
    with pytest.raises(ValueError, match="issue 'x': output is not a regular expression"):
        _issue({**raw, "output": "("})


def test_a_diagnosis_reads_what_it_is_seen_why_do_and_where() -> None:
    issue = _issue(
        {
            "id": "x",
            "title": "a title",
            "explain": "why",
            "remedy": "do",
            "verified": "t",
            "link": "https://example.org/1",
        }
    )
    assert Diagnosis(issue, "binary", "boom 3").render() == "\n".join(
        [
            "known issue [x] in the binary: a title",
            "  seen: boom 3",
            "  why: why",
            "  do: do",
            "  see: https://example.org/1",
        ]
    )
    unlinked = dataclasses.replace(issue, link=None)
    assert Diagnosis(unlinked, "script", "e").render().splitlines()[-1] == "  do: do"
