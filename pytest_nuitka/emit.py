"""Hand named outputs from an app to the pytest-nuitka test that runs it.

Apps import this module in production too, so it must stay cheap: no pytest, numpy only
when an array is emitted, and every call does nothing outside a test.

Inside a test, importing it also records at exit what the run really loaded (which Keras built
its models, whether torch's JIT was on, the frozen variables as the process saw them): the
evidence a diagnosis rests on, read by ``pytest_nuitka.runtime``.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

ENV_VAR = "PYTEST_NUITKA_OUT"
RUNTIME_VAR = "PYTEST_NUITKA_RUNTIME"
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
# The module that defines each Keras implementation's Model class, loaded when the
# implementation is imported (``import tensorflow`` loads tf_keras where TF_USE_LEGACY_KERAS=1).
KERAS_MODEL_MODULES = {
    "tf_keras": ("tf_keras.src.engine.training",),
    "keras 3": ("keras.src.models.model",),
    "keras 2": ("keras.src.engine.training", "keras.engine.training"),
}
WATCHED_ENV = ("TF_USE_LEGACY_KERAS", "KERAS_BACKEND", "PYTORCH_JIT")
WATCHED_PACKAGES = ("tensorflow", "keras", "tf_keras", "torch")


def active() -> bool:
    """Whether a test is collecting this run's outputs."""
    return bool(os.environ.get(ENV_VAR))


def emit(name: str, value: Any) -> None:
    """Record ``value`` under ``name``: arrays (anything with ``__array__``) as .npy, else JSON."""
    out = os.environ.get(ENV_VAR)
    if not out:
        return
    if not _NAME.fullmatch(name):
        raise ValueError(f"output name {name!r} must match {_NAME.pattern}")
    if hasattr(value, "__array__") or type(value).__module__ == "numpy":
        import numpy as np

        np.save(Path(out, f"{name}.npy"), np.asarray(value), allow_pickle=False)
    else:
        Path(out, f"{name}.json").write_text(json.dumps(value, sort_keys=True), encoding="utf-8")


def emit_many(**values: Any) -> None:
    for name, value in values.items():
        emit(name, value)


def runtime() -> dict[str, Any]:
    """What this process loaded and saw, from ``sys.modules`` and ``os.environ`` only."""
    versions = {}
    for name in WATCHED_PACKAGES:
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = str(getattr(module, "__version__", "?"))
    state = sys.modules.get("torch.jit._state")
    enabled = getattr(getattr(state, "_enabled", None), "enabled", None)
    return {
        "keras": [k for k, ms in KERAS_MODEL_MODULES.items() if any(m in sys.modules for m in ms)],
        "versions": versions,
        "env": {name: os.environ.get(name) for name in WATCHED_ENV},
        "torch_jit": enabled if isinstance(enabled, bool) else None,
    }


def _record() -> None:
    target = os.environ.get(RUNTIME_VAR)
    if target:
        with contextlib.suppress(OSError):  # evidence only: never the reason a run fails
            Path(target).write_text(json.dumps(runtime(), sort_keys=True), encoding="utf-8")


if os.environ.get(RUNTIME_VAR):
    atexit.register(_record)
