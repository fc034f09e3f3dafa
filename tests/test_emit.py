from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pytest_nuitka import emit
from pytest_nuitka.run.outputs import load_outputs


def test_emitter_imports_neither_pytest_nor_numpy() -> None:
    code = (
        "import sys, pytest_nuitka.emit as e; e.emit('x', {'a': 1}); "
        "print(sorted(m for m in ('pytest', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin"},
        check=True,
    ).stdout
    assert out.strip() == "[]"


def test_noop_outside_a_test(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(emit.ENV_VAR, raising=False)
    emit.emit("x", np.zeros(2))
    assert not emit.active()
    assert list(tmp_path.iterdir()) == []


def test_round_trip_through_the_output_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(emit.ENV_VAR, str(tmp_path))
    emit.emit_many(
        logits=np.array([[0.1, 0.9]], dtype=np.float32), label={"name": "bird"}, top=np.int64(1)
    )
    loaded = load_outputs(tmp_path)
    assert loaded["logits"].dtype == np.float32 and loaded["logits"].tolist() == [
        [pytest.approx(0.1), pytest.approx(0.9)]
    ]
    assert loaded["label"] == {"name": "bird"}
    assert loaded["top"].shape == ()


def test_bad_names_are_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(emit.ENV_VAR, str(tmp_path))
    with pytest.raises(ValueError, match="must match"):
        emit.emit("../escape", 1)


def test_outputs_that_are_not_what_their_suffix_says_are_compared_as_bytes(
    tmp_path: Path,
) -> None:
    """An app killed while writing: a cut .npz, a .npy that is text, JSON that is not."""
    (tmp_path / "cut.npz").write_bytes(b"PK\x03\x04 not a whole archive")
    (tmp_path / "text.npy").write_text("not numpy")
    (tmp_path / "half.json").write_text('{"a": ')
    assert load_outputs(tmp_path) == {
        "cut.npz": "PK\x03\x04 not a whole archive",  # valid UTF-8: read as text
        "text.npy": "not numpy",
        "half.json": '{"a": ',
    }
