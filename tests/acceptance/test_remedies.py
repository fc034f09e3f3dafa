"""Each known issue's remedy, applied: the check that failed with the issue passes, with the
real Nuitka. ``known_issues.toml`` names these tests (``verified``), and a remedy is printed
only when its test is here. Each test first shows the issue, then applies the remedy, in the
matrix cell where the issue happens."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from conftest import ROOT
from pytest_nuitka.check.diagnose import DiagnosedFailure, diagnose
from pytest_nuitka.zoo.manifest import RoundTripSpec, load_case

if TYPE_CHECKING:
    from pytest_nuitka.api.session import Nuitka

ZOO = ROOT / "model_zoo"
PROBE = "tests/apps/probe/app.py"
GREETING = "tests/apps/probe/greeting.txt"


def diagnosed(check: object) -> list[str]:
    """The known issues a failing check was diagnosed with."""
    with pytest.raises(DiagnosedFailure) as failure:
        check()  # type: ignore[operator]
    return [d.issue.id for d in failure.value.diagnoses]


@pytest.mark.nuitka_requires("tensorflow<2.16", "keras<3")
def test_keras_imported_directly_under_keras_2(nuitka: Nuitka) -> None:
    broken = nuitka.compile(ZOO / "tf_keras_import" / "app.py").run_both("predict")
    assert diagnosed(broken.assert_match) == ["tf-keras-rewrite"]
    run = nuitka.compile("tests/apps/keras_direct/app.py").run_both()
    run.assert_match(argmax=["probs"])
    assert "model class from keras" in run.binary.stdout


def test_the_excluded_module_left_in(nuitka: Nuitka) -> None:
    excluded = nuitka.compile(PROBE, mode="standalone", options=["--nofollow-import-to=csv"])
    broken = excluded.run_both("--import", "csv", portable=True)
    assert diagnosed(broken.assert_match) == ["excluded-module"]
    app = nuitka.compile(PROBE, mode="standalone")
    app.run_both("--import", "csv", portable=True).assert_match()


def test_the_data_file_declared(nuitka: Nuitka) -> None:
    undeclared = nuitka.compile(PROBE, mode="standalone")
    broken = undeclared.run_both("--data", "greeting.txt", portable=True)
    assert diagnosed(broken.assert_match) == ["data-file-missing"]
    app = nuitka.compile(PROBE, mode="standalone", data=[GREETING])
    run = app.run_both("--data", "greeting.txt", portable=True)
    run.assert_match()
    assert "hello from the data file" in run.binary.stdout


def test_serialised_function_kept_in_a_module_not_compiled(nuitka: Nuitka) -> None:
    broken = nuitka.compile("tests/apps/code_object/app.py").run_both()
    assert diagnosed(broken.assert_match) == ["compiled-bytecode"]
    app = nuitka.compile(
        "tests/apps/code_object_kept/app.py", options=["--nofollow-import-to=serialised"]
    )
    run = app.run_both()
    run.assert_match()
    assert run.binary.stdout == "6.0\n"


@pytest.mark.nuitka_requires("torch>=2.6")
def test_state_dict_instead_of_a_pickled_model(nuitka: Nuitka) -> None:
    app = nuitka.compile("tests/apps/torch_pickle/app.py")
    broken = app.run_script("{out}/model.pt")
    assert not broken.ok
    assert [d.issue.id for d in diagnose([broken])] == ["torch-weights-only"]
    run = app.run_both("{out}/model.pt", "--state-dict")
    run.assert_match(exclude=["model.pt"])
    assert run.script.ok and run.script.stdout.startswith("loaded ")


@pytest.mark.nuitka_requires("torch")
def test_torch_jit_kept_on_in_a_standalone_build(nuitka: Nuitka) -> None:
    """Nuitka's torch configuration sets PYTORCH_JIT=0 inside a binary that compiles torch
    (a full standalone build) unless built with torch-disable-jit=no, the plugin's default.
    Always: the JIT off inside the binary alone is diagnosed from the binary's own record, and
    on it matches. With --nuitka-full-standalone (the nightly full build): the real pair of
    builds, =yes diagnosed, =no matching."""
    app = ZOO / "torch_jit_trace" / "app.py"
    full = nuitka.settings.full_standalone
    mode = "standalone" if full else "accelerated"
    off = nuitka.compile(app, mode=mode, options=["--module-parameter=torch-disable-jit=yes"])
    broken = off.run_both("trace", binary_env={} if full else {"PYTORCH_JIT": "0"})
    assert diagnosed(broken.assert_match) == ["torch-jit-disabled"]
    assert broken.binary.runtime["env"]["PYTORCH_JIT"] == "0"
    on = nuitka.compile(app, mode=mode)  # the plugin's default: torch-disable-jit=no
    run = on.run_both("trace")
    run.assert_match(argmax=["scores"])
    assert run.binary.runtime["torch_jit"] is True
    assert "script module: True" in run.binary.stdout


@pytest.mark.nuitka_requires("tf-keras", "env:TF_USE_LEGACY_KERAS=1")
def test_tf_keras_attribute_in_the_legacy_cell(nuitka: Nuitka) -> None:
    broken = nuitka.compile(ZOO / "tf_keras_import" / "app.py").run_both("predict")
    assert diagnosed(lambda: broken.assert_match(argmax=["probs"])) == ["legacy-keras-rewrite"]
    run = nuitka.compile("tests/apps/tf_keras_attribute/app.py").run_both()
    run.assert_match(argmax=["probs"])
    assert run.binary.runtime["keras"] == ["tf_keras"]
    assert "model class from tf_keras" in run.binary.stdout


@pytest.mark.nuitka_requires("keras", "tensorflow")
def test_keras_traceback_filtering_off_in_the_app(nuitka: Nuitka) -> None:
    app = nuitka.compile("tests/apps/keras_filter/app.py")
    assert diagnosed(app.run_both().assert_match) == ["keras-traceback-filter"]
    run = app.run_both("--unfiltered")
    run.assert_match()
    assert "negative inputs are not allowed" in run.binary.stderr


def zoo_roundtrip(case: str, name: str) -> RoundTripSpec:
    """A round-trip of a zoo case as its manifest declares it (tool included)."""
    manifest = load_case(ZOO / case / "nuitka-case.toml")
    return next(spec for spec in manifest.roundtrips if spec.name == name)


@pytest.mark.nuitka_requires("torch", "onnxscript", "onnxruntime")
def test_onnx_exporter_shipped_with_torch(nuitka: Nuitka) -> None:
    """The zoo's ONNX round-trip, built standalone: the binary's export needs onnxscript and
    onnx in the dist, which only shipping them puts there."""
    case = ZOO / "torch_image_classifier"
    spec = zoo_roundtrip("torch_image_classifier", "onnx")
    data = [case / "checkpoint", case / "idx2cls.json"]

    def trip(*ship: str) -> None:
        app = nuitka.compile(case / "app.py", mode="standalone", data=data, ship=ship)
        plan = spec.plan
        done = app.roundtrip(
            plan.save, plan.load, plan.artifact, tool=plan.tool, files=[case / "bird.png"]
        )
        done.check(spec.comparison, outputs=spec.outputs)

    assert diagnosed(lambda: trip("torch", "numpy", "pillow")) == ["onnx-exporter-not-shipped"]
    trip("torch", "numpy", "pillow", "onnxscript", "onnx")


@pytest.mark.nuitka_requires("tf-keras", "env:TF_USE_LEGACY_KERAS=1")
def test_keras_model_for_tfjs_saved_with_tf_keras(nuitka: Nuitka) -> None:
    """The zoo's TensorFlow.js round-trip in a legacy cell: saved by Keras 3 (the variable off)
    TensorFlow.js refuses the model; saved by tf_keras it predicts what the app predicted."""
    spec = zoo_roundtrip("tfjs_json", "tfjs")

    def trip(legacy: str) -> None:
        app = nuitka.compile(ZOO / "tfjs_json" / "app.py", env={"TF_USE_LEGACY_KERAS": legacy})
        plan = spec.plan
        done = app.roundtrip(plan.save, plan.load, plan.artifact, tool=plan.tool)
        done.check(spec.comparison, outputs=spec.outputs)

    assert diagnosed(lambda: trip("0")) == ["tfjs-keras3-config"]
    trip("1")
