"""Hand named outputs from an app to the pytest-nuitka test that runs it.

Apps import this module in production too, so it must stay cheap: no pytest, numpy only
when an array is emitted, and every call does nothing outside a test.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

ENV_VAR = "PYTEST_NUITKA_OUT"
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


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
