"""The known-issue table, each entry triggered for real: here, in tests/test_portable.py, or
by a model zoo expectation that names it (in the matrix cell where it happens)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_nuitka.app import RunPair
from pytest_nuitka.diagnose import DiagnosedFailure, diagnose, table
from pytest_nuitka.environment import version_of

ROOT = Path(__file__).parent.parent
ZOO = ROOT / "model_zoo"


def ids(failure: pytest.ExceptionInfo[DiagnosedFailure]) -> list[str]:
    return [d.issue.id for d in failure.value.diagnoses]


def test_every_entry_is_unique_and_triggered_by_a_test_or_a_zoo_expectation():
    names = [issue.id for issue in table()]
    assert len(names) == len(set(names))
    texts = [p.read_text() for p in (ROOT / "tests").glob("test_*.py")]
    texts += [p.read_text() for p in ZOO.glob("*/nuitka-case.toml")]
    untested = [n for n in names if not any(f'"{n}"' in t or f"[{n}]" in t for t in texts)]
    assert untested == []


def test_weights_only_unpickling_error(nuitka):
    app = nuitka.compile("apps/torch_pickle/app.py")
    run = app.run_script("{out}/model.pt")
    assert not run.ok
    assert [d.issue.id for d in diagnose([run])] == ["torch-weights-only"]


def test_torch_jit_disabled_in_the_binary(nuitka):
    """What Nuitka's standalone default does (PYTORCH_JIT=0 before torch loads), done to the
    binary alone: the traced module comes back plain."""
    app = nuitka.compile(ZOO / "torch_jit_trace" / "app.py")
    pair = RunPair(
        app.run_script("trace"), app.run_binary("trace", env={"PYTORCH_JIT": "0"}), app.build
    )
    with pytest.raises(DiagnosedFailure) as failure:
        pair.assert_match()
    assert ids(failure) == ["torch-jit-disabled"]
    assert "module: Scorer script module: False" in pair.binary.stdout
    assert "script module: True" in pair.script.stdout


def test_torch_jit_choice_is_explicit_in_every_build(nuitka):
    app = nuitka.compile(ZOO / "torch_jit_trace" / "app.py")
    if app.binary is None:
        pytest.skip("the binary side needs --nuitka-compile")
    assert "--module-parameter=torch-disable-jit=no" in app.build.options


def test_code_object_of_a_compiled_function(nuitka):
    run = nuitka.compile("apps/code_object/app.py").run_both()
    with pytest.raises(DiagnosedFailure) as failure:
        run.assert_match()
    assert ids(failure) == ["compiled-bytecode"]
    assert run.script.stdout == "6.0\n"
    assert "RuntimeError: Compiled function bytecode used" in run.binary.stderr


@pytest.mark.skipif(not version_of("tf-keras"), reason="needs tf-keras: runs in the legacy cells")
def test_legacy_keras_set_only_at_run_time(nuitka):
    app = nuitka.compile(ZOO / "tf_keras_import" / "app.py", env={"TF_USE_LEGACY_KERAS": None})
    run = app.run_both("predict", env={"TF_USE_LEGACY_KERAS": "1"})
    with pytest.raises(DiagnosedFailure) as failure:
        run.assert_match()
    assert "legacy-keras-frozen" in ids(failure)
    assert "TF_USE_LEGACY_KERAS was None at build time and '1' at run time" in str(failure.value)


def test_a_clean_failure_matches_nothing(nuitka):
    run = nuitka.compile("apps/divergent/app.py").run_both()
    with pytest.raises(DiagnosedFailure) as failure:
        run.assert_match()
    assert ids(failure) == []
    assert "known issue" not in str(failure.value)
