"""A short real bisect: three Nuitka releases installed from the index, the zoo's
``tf_keras_import`` case built and run with each, in a legacy-Keras cell layered on this
environment (tf-keras for the TensorFlow installed here, ``TF_USE_LEGACY_KERAS=1``)."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from conftest import NEEDS_COMPILE, TESTS

REWRITE = '"tensorflow.keras", "keras._tf_keras.keras"'  # Nuitka's import rewrite, in its source


def rewrites(work: Path, version: str) -> bool:
    """Whether that release's own source rewrites tensorflow.keras imports: evidence read
    apart from the bisect's verdicts."""
    pattern = f"nuitka-{version}-*/lib/python*/site-packages/nuitka/importing/ImportResolving.py"
    (source,) = work.glob(pattern)
    return REWRITE in " ".join(source.read_text().split())


@pytest.mark.real
@pytest.mark.nuitka_requires("tensorflow>=2.16", "env:KERAS_BACKEND!=torch")
def test_a_real_bisect_names_the_release_that_rewrote_tf_keras(
    pytestconfig: pytest.Config, tmp_path: Path
) -> None:
    from pytest_nuitka.plugin.fixture import BUILDER

    if not pytestconfig.stash[BUILDER].settings.compile:
        pytest.skip(NEEDS_COMPILE)
    tensorflow = metadata.version("tensorflow").split(".")
    record = tmp_path / "bisect.json"
    command = [
        sys.executable,
        "-m",
        "pytest_nuitka.bisect",
        "nuitka",
        "--good",
        "2.4.5",
        "--bad",
        "2.4.8",
        "--with",
        f"tf-keras=={tensorflow[0]}.{tensorflow[1]}.*",
        "--env",
        "TF_USE_LEGACY_KERAS=1",
        "--work",
        str(tmp_path / "work"),
        "--json",
        str(record),
        "--",
        "model_zoo/tf_keras_import",
    ]
    done = subprocess.run(command, cwd=TESTS.parent, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout + done.stderr
    answer = json.loads(record.read_text())
    tried = [step["version"] for step in answer["steps"]]
    assert sorted(tried) == ["2.4.5", "2.4.7", "2.4.8"]  # 2.4.6 was never released
    assert answer["question"] == "regression" and answer["untested"] == []
    first_bad, last_good = answer["first_after"], answer["last_before"]
    assert "step 3 of about 3: nuitka" in done.stdout
    # The release the bisect names is the one whose source brought the rewrite.
    assert rewrites(tmp_path / "work", first_bad)
    assert not rewrites(tmp_path / "work", last_good)
    changed = {change["nodeid"].split("::")[-1]: change for change in answer["changes"]}
    assert "run:predict" in changed
    before, after = changed["run:predict"]["before"], changed["run:predict"]["after"]
    assert (before["outcome"], after["outcome"]) == ("passed", "failed")
    assert after["known_issues"] == ["legacy-keras-rewrite"]
    assert f"first bad: nuitka {first_bad}" in done.stdout


@pytest.mark.real
def test_a_torch_release_that_pulls_cuda_builds_is_skipped_before_downloading(
    tmp_path: Path,
) -> None:
    """Asks the index (pip's dry run), downloads no wheel."""
    from pytest_nuitka.bisect.trial import InstallFailed, refuse_cuda

    install = [sys.executable, "-m", "pip", "install", "--target", str(tmp_path / "t")]
    with pytest.raises(InstallFailed, match=r"it would download CUDA builds \(nvidia-"):
        refuse_cuda([*install, "torch==2.5.1"], tmp_path / "venv")
    refuse_cuda([*install, "torch==2.13.0"], tmp_path / "venv")  # the CPU wheel on disk
