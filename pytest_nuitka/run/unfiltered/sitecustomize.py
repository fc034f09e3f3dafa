"""Keras and TensorFlow traceback filtering, off: put this folder first on PYTHONPATH.

Neither library reads a variable or a config key for it (``keras.json`` has none), so the
switch is their own ``is_traceback_filtering_enabled``: a finder waits for each library's
``traceback_utils`` to load and turns it off there, importing nothing itself. The accelerated
binaries and scripts the plugin runs import ``site``, which imports this module; the
``sitecustomize`` it shadows, if any, runs after it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

FILTERS = {
    "tensorflow.python.util.traceback_utils",  # TensorFlow, tf_keras, Keras 2
    "keras.src.utils.traceback_utils",  # Keras 3 and Keras 2.13+
    "tf_keras.src.utils.traceback_utils",
}
HERE = os.path.dirname(os.path.abspath(__file__))


def _off(*args: Any, **kwargs: Any) -> bool:
    return False


class _Unfiltered(importlib.abc.Loader):
    def __init__(self, inner: importlib.abc.Loader) -> None:
        self.inner = inner

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.inner.exec_module(module)
        module.is_traceback_filtering_enabled = _off  # type: ignore[attr-defined]


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name not in FILTERS:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _Unfiltered(spec.loader)
        return spec


def _shadowed() -> None:
    """Run the sitecustomize that this one shadows, as site would have."""
    rest = [p for p in sys.path if os.path.abspath(p or ".") != HERE]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)


sys.meta_path.insert(0, _Finder())
_shadowed()
