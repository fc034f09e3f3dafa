"""Standalone, onefile and partial standalone builds with the real Nuitka, run as on a machine
without this Python: a fresh copy, a scrubbed environment, the clean room."""

from __future__ import annotations

import sysconfig
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import ROOT
from pytest_nuitka.base.errors import NuitkaPluginError
from pytest_nuitka.check.diagnose import DiagnosedFailure
from pytest_nuitka.run import portable

if TYPE_CHECKING:
    from pytest_nuitka.api.session import Nuitka

PROBE = "tests/apps/probe/app.py"
GREETING = "tests/apps/probe/greeting.txt"
ZOO = ROOT / "model_zoo"
TORCH_APP = ZOO / "torch_image_classifier"


def test_standalone_dist_runs_in_the_clean_room(nuitka: Nuitka) -> None:
    app = nuitka.compile(PROBE, mode="standalone", data=[GREETING])
    run = app.run_both("--data", "greeting.txt", "--import", "json", portable=True)
    run.assert_match()
    assert "hello from the data file" in run.binary.stdout
    assert run.binary.argv[0] == "unshare"
    assert app.binary is not None and app.binary.parent.name == "app.dist"
    assert str(app.binary) not in run.binary.argv  # a fresh copy ran, not the cached dist
    assert any(arg.endswith("-portable/fresh/app.dist/app.bin") for arg in run.binary.argv)
    env = run.binary.env
    assert env["PATH"] == portable.MINIMAL_PATH
    assert not {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"} & set(env)
    assert env["HOME"] != str(Path.home())


def test_removing_a_data_declaration_fails_naming_the_file(nuitka: Nuitka) -> None:
    app = nuitka.compile(PROBE, mode="standalone")
    run = app.run_both("--data", "greeting.txt", portable=True)
    with pytest.raises(DiagnosedFailure) as failure:
        run.assert_match()
    message = str(failure.value)
    assert "known issue [data-file-missing]" in message
    assert "app.dist/greeting.txt" in message
    assert "data=[...]" in message


def test_the_clean_room_hides_the_host_python_and_the_source_folder(nuitka: Nuitka) -> None:
    app = nuitka.compile(PROBE, mode="standalone", data=[GREETING])
    host_file = Path(sysconfig.get_paths()["stdlib"]) / "os.py"
    beside_source = Path(nuitka.path(GREETING))
    for reached in (host_file, beside_source):
        run = app.run_both("--read", str(reached), portable=True)
        assert run.script.ok
        assert not run.binary.ok
        assert f"No such file or directory: '{reached}'" in run.binary.stderr
    # Outside the clean room the same dist reads them: the room is what hides them.
    assert app.run_both("--read", str(host_file)).binary.ok


def test_onefile_binary_runs_in_the_clean_room(nuitka: Nuitka) -> None:
    app = nuitka.compile(PROBE, mode="onefile", data=[GREETING])
    app.run_both("--data", "greeting.txt", portable=True).assert_match()
    assert app.binary is not None and app.binary.parent.name == "product"  # one file


def test_an_excluded_module_is_diagnosed(nuitka: Nuitka) -> None:
    app = nuitka.compile(PROBE, mode="standalone", options=["--nofollow-import-to=csv"])
    run = app.run_both("--import", "csv", portable=True)
    with pytest.raises(DiagnosedFailure) as failure:
        run.assert_match()
    assert [d.issue.id for d in failure.value.diagnoses] == ["excluded-module"]
    assert "Module 'csv' was actively excluded" in str(failure.value)


def test_accelerated_binaries_are_refused_a_portable_run(nuitka: Nuitka) -> None:
    app = nuitka.compile(PROBE)
    with pytest.raises(NuitkaPluginError, match="needs a standalone or onefile build"):
        app.run_both(portable=True)


def test_torch_classifier_as_partial_standalone_in_the_clean_room(nuitka: Nuitka) -> None:
    app = nuitka.compile(
        TORCH_APP / "app.py",
        mode="standalone",
        ship=["torch", "numpy", "pillow"],
        data=[TORCH_APP / "checkpoint", TORCH_APP / "idx2cls.json"],
    )
    run = app.run_both("--image_path", "bird.png", files=[TORCH_APP / "bird.png"], portable=True)
    run.assert_match(argmax=["logits"])
    assert run.binary.stdout.startswith("label ")
    assert app.binary is not None
    dist = app.binary.parent
    assert (dist / "torch" / "__init__.py").is_file()  # shipped as installed, not compiled
    assert list(dist.glob("torch-*.dist-info"))
    assert (dist / "idx2cls.json").is_file() and (dist / "checkpoint").is_dir()


def test_torch_classifier_without_its_label_map_fails_naming_it(nuitka: Nuitka) -> None:
    app = nuitka.compile(
        TORCH_APP / "app.py",
        mode="standalone",
        ship=["torch", "numpy", "pillow"],
        data=[TORCH_APP / "checkpoint"],
    )
    run = app.run_both("--image_path", "bird.png", files=[TORCH_APP / "bird.png"], portable=True)
    with pytest.raises(DiagnosedFailure) as failure:
        run.assert_match()
    assert "known issue [data-file-missing]" in str(failure.value)
    assert "app.dist/idx2cls.json" in str(failure.value)


def test_keras_classifier_as_partial_standalone_in_the_clean_room(nuitka: Nuitka) -> None:
    app = nuitka.compile(
        ZOO / "keras_classifier" / "app.py", mode="standalone", ship=["tensorflow", "keras"]
    )
    run = app.run_both("predict", portable=True)
    run.assert_match(argmax=["probs"])
    assert run.binary.outputs["probs"].shape[0] > 0
