"""The cell check: a tox cell that is not what it claims is refused before it runs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.real  # imports Keras and TensorFlow in the cell check
@pytest.mark.nuitka_requires("keras>=3")
def test_cell_check_refuses_a_cell_that_is_another(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)

    def check(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pytest_nuitka.matrix.cellcheck", *args],
            capture_output=True,
            text=True,
            env={**os.environ, **env},
        )

    assert check("--keras", "3").returncode == 0
    wrong = check("--keras", "2")
    assert wrong.returncode == 1
    assert "the cell claims Keras 2" in wrong.stderr
    typo = check("--keras", "3", TF_USE_LEGACY_KERAS="yes")
    assert typo.returncode == 1
    assert "counts as off: only 1/true/True turn it on" in typo.stderr


def test_cell_check_refuses_a_cell_that_moved() -> None:
    """A tool installed into a cell can pull another version of what the cell pins."""

    def check(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pytest_nuitka.matrix.cellcheck", *args],
            capture_output=True,
            text=True,
        )

    assert check("--requires", "numpy>=1", "--requires", "pytest").returncode == 0
    moved = check("--requires", "numpy<1")
    assert moved.returncode == 1
    assert "the cell requires numpy<1; it has numpy 2." in moved.stderr
    absent = check("--requires", "no-such-framework==1.*")
    assert "it has no-such-framework (not installed)" in absent.stderr
    assert check("--requires", "numpy=>1").returncode == 2  # a usage error, not a verdict
