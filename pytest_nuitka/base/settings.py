"""The plugin's options, as plain values so that pytest-xdist can ship them to workers."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

CACHE_ENV_VAR = "PYTEST_NUITKA_CACHE_DIR"
DEFAULT_CACHE_SIZE = "20G"
UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


class Mode(StrEnum):
    """How a script is built: the app alone (frameworks from the environment), a dist folder,
    or one file. A StrEnum: options and manifests give the plain names."""

    ACCELERATED = "accelerated"
    STANDALONE = "standalone"
    ONEFILE = "onefile"


MODES = tuple(mode.value for mode in Mode)
# Nuitka's package configuration reads these while compiling and bakes the result in.
FROZEN_ENV_VARS = ("TF_USE_LEGACY_KERAS", "KERAS_BACKEND", "PYTORCH_JIT")


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base, "pytest-nuitka")


@dataclass(frozen=True)
class Settings:
    """Every default lives here: the plugin's options override them, a library user or the
    bench sets what it needs."""

    compile: bool = False
    cache_dir: Path = field(default_factory=default_cache_dir)
    cache_bytes: int = 20 << 30  # DEFAULT_CACHE_SIZE
    rebuild: bool = False
    mode: Mode = Mode.ACCELERATED
    build_timeout: float = 3600.0
    run_timeout: float = 300.0
    jobs: int = 0  # runs at once; 0: as many as the cores (and memory) allow
    nuitka_args: tuple[str, ...] = ()
    frozen_env: tuple[str, ...] = FROZEN_ENV_VARS
    full_standalone: bool = False
    torch_jit: bool = True
    try_remedy: bool = False  # rebuild a failure with its known issue's remedy, rerun its check
    # How script and binary are compared (README, "Normalisation", "Artifacts").
    strict: bool = False
    rules: tuple[str, ...] = ()
    noise: tuple[str, ...] = ()  # "REGEX -> REPLACEMENT"
    comparators: tuple[str, ...] = ()  # "PATTERN = builtin or module:function"
    exclude: tuple[str, ...] = ()
    stderr: bool = True


def parse_size(text: str) -> int:
    """'20G', '512M', '1.5T' or a number of bytes."""
    value = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = value[-1:] if value[-1:] in UNITS else ""
    try:
        size = int(float(value.removesuffix(unit) if unit else value) * UNITS[unit])
    except (ValueError, OverflowError):
        size = -1
    if size < 0:
        raise ValueError(
            f"cache size {text!r}: give bytes or a number with K, M, G or T (e.g. 20G)"
        ) from None
    return size


def seconds(name: str, value: Any, default: float) -> float:
    """A time limit: a finite number of seconds above 0 (a limit of 0 or less would kill
    every build or run at once, and read as no limit where 0 means unset)."""
    if value in (None, ""):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name}: {value}: give a number of seconds above 0 (e.g. 600)")
    return number
