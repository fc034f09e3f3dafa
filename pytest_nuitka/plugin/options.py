"""The plugin's command-line options and ini keys, read into plain ``Settings``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import pytest

from pytest_nuitka.base.settings import (
    CACHE_ENV_VAR,
    DEFAULT_CACHE_SIZE,
    MODES,
    Mode,
    Settings,
    parse_size,
    seconds,
)
from pytest_nuitka.check.comparison import Comparison


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("nuitka", "compiled-binary tests (pytest-nuitka)")

    def add(name: str, help: str, ini_type: Literal["string", "bool"], **kwargs: Any) -> None:
        dest = "nuitka_" + name.replace("-", "_")
        group.addoption(f"--nuitka-{name}", dest=dest, help=help, **kwargs)
        parser.addini(dest, help=help, type=ini_type)

    add(
        "compile",
        "build binaries with Nuitka and compare them with the scripts; "
        "without it, tests that need a binary are skipped",
        "bool",
        action="store_true",
        default=None,
    )
    add(
        "cache-dir",
        f"where built binaries are kept (env {CACHE_ENV_VAR}; default ~/.cache/pytest-nuitka)",
        "string",
    )
    add(
        "cache-size",
        f"prune least recently used builds beyond this size (default {DEFAULT_CACHE_SIZE}; "
        "python -m pytest_nuitka.cache shows and prunes by hand)",
        "string",
    )
    add(
        "rebuild",
        "build every binary again once in this run, ignoring cached ones",
        "bool",
        action="store_true",
        default=None,
    )
    add("mode", "default build mode: " + ", ".join(MODES), "string", choices=MODES)
    add(
        "full-standalone",
        "compile shipped packages too (standalone, onefile): ignore `ship`, as a full Nuitka "
        "standalone build does; about an hour for a TensorFlow app on 2 cores",
        "bool",
        action="store_true",
        default=None,
    )
    add(
        "torch-jit",
        "torch JIT in non-accelerated builds, passed to Nuitka as "
        "--module-parameter=torch-disable-jit: on (default, as the script runs) or off "
        "(Nuitka's standalone default: PYTORCH_JIT=0, traced modules come back plain)",
        "string",
        choices=("on", "off"),
    )
    add(
        "try-remedy",
        "when a failure's known issue has a mechanical remedy (a data file, an excluded module, "
        "a system library), build again with it and rerun the check: the message then says "
        "whether the remedy fixes it",
        "bool",
        action="store_true",
        default=None,
    )
    add(
        "build-timeout",
        "seconds a build may take before it is killed (default 3600)",
        "string",
        type=float,
    )
    add(
        "run-timeout",
        "seconds a script or binary run may take before its process tree is killed (default 300)",
        "string",
        type=float,
    )
    add(
        "jobs",
        "script and binary runs at once (default: the cores, shared out among pytest-xdist's "
        "workers, and what memory holds at about 1 GiB a run); 1 runs them one after another",
        "string",
        type=int,
    )
    group.addoption(
        "--nuitka-force-regen",
        action="store_true",
        dest="nuitka_force_regen",
        help="rewrite the model zoo's committed baselines from this cell's script "
        "outputs (the checks fail so that the change is reviewed)",
    )
    group.addoption(
        "--nuitka-results",
        dest="nuitka_results",
        metavar="FILE",
        help="write this cell's outcomes as JSON, for python -m pytest_nuitka.matrix.report",
    )
    add(
        "strict",
        "compare without the normalisation rules (only the run folders are masked)",
        "bool",
        action="store_true",
        default=None,
    )
    parser.addini(
        "nuitka_rules",
        "normalisation rules to turn on (opt-in ones) or off (-name) for every comparison",
        type="args",
    )
    parser.addini(
        "nuitka_noise",
        "your own normalisation, one 'REGEX -> REPLACEMENT' per line, applied to both sides",
        type="linelist",
    )
    parser.addini(
        "nuitka_comparators",
        "comparators of outputs, one 'NAME-OR-PATTERN = builtin-or-module:function' per line",
        type="linelist",
    )
    parser.addini("nuitka_exclude", "outputs (names or file patterns) never compared", type="args")
    parser.addini(
        "nuitka_stderr", "compare normalised stderr (false: stdout only)", type="bool", default=True
    )
    parser.addini("nuitka_args", "extra arguments for every Nuitka build", type="args")
    group.addoption(
        "--nuitka-option",
        dest="nuitka_option",
        action="append",
        default=[],
        metavar="OPTION",
        help="a Nuitka option for every build, after nuitka_args (repeat it; write it with "
        "=, e.g. --nuitka-option=--lto=no); part of every key",
    )
    parser.addini(
        "nuitka_frozen_env",
        "further environment variables that Nuitka freezes at "
        "compile time; they are keyed on and passed to builds and runs",
        type="args",
    )


def ini(config: pytest.Config, name: str) -> Any:
    """An ini value; one pytest cannot read (``nuitka_stderr = maybe``) is a ValueError that
    names its key (pytest raises ValueError, or from 9 a UsageError without the key)."""
    try:
        return config.getini(name)
    except (ValueError, pytest.UsageError) as error:
        raise ValueError(f"{name}: {error}") from None


def read_settings(config: pytest.Config) -> Settings:
    def get(name: str) -> Any:
        value = config.getoption(name)
        return ini(config, name) if value is None else value

    try:
        return _read(config, get)
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None


def choice(name: str, value: Any, allowed: tuple[str, ...], default: str) -> str:
    """An ini value (or option) from a closed set; another is a ValueError naming the key."""
    if value in (None, ""):
        return default
    if str(value) not in allowed:
        raise ValueError(f"{name}: {value!r}: give one of {', '.join(allowed)}")
    return str(value)


def jobs(value: Any) -> int:
    if value in (None, ""):
        return 0
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ValueError(f"nuitka_jobs: {value!r}: give a number of runs at once, 1 or more")
    return number


def results_file(value: Any) -> str | None:
    """Where --nuitka-results goes, checked before the session runs for an hour."""
    if not value:
        return None
    path = Path(str(value)).expanduser()
    existing = next((p for p in (path.parent, *path.parent.parents) if p.exists()), Path("/"))
    if path.is_dir() or not existing.is_dir() or not os.access(existing, os.W_OK):
        raise ValueError(
            f"--nuitka-results {value}: cannot write a file there; give a file in a folder "
            "you can write (created if missing)"
        )
    return str(path)


def _read(config: pytest.Config, get: Any) -> Settings:
    default = Settings()
    cache_dir = get("nuitka_cache_dir") or os.environ.get(CACHE_ENV_VAR) or default.cache_dir
    size = get("nuitka_cache_size")
    settings = Settings(
        compile=bool(get("nuitka_compile")),
        cache_dir=Path(str(cache_dir)).expanduser().resolve(),
        cache_bytes=parse_size(str(size)) if size else default.cache_bytes,
        rebuild=bool(get("nuitka_rebuild")),
        mode=Mode(choice("nuitka_mode", get("nuitka_mode"), MODES, default.mode)),
        build_timeout=seconds(
            "nuitka_build_timeout", get("nuitka_build_timeout"), default.build_timeout
        ),
        run_timeout=seconds("nuitka_run_timeout", get("nuitka_run_timeout"), default.run_timeout),
        jobs=jobs(get("nuitka_jobs")),
        nuitka_args=(*ini(config, "nuitka_args"), *config.getoption("nuitka_option")),
        frozen_env=default.frozen_env + tuple(ini(config, "nuitka_frozen_env")),
        full_standalone=bool(get("nuitka_full_standalone")),
        torch_jit=choice("nuitka_torch_jit", get("nuitka_torch_jit"), ("on", "off"), "on") == "on",
        try_remedy=bool(get("nuitka_try_remedy")),
        strict=bool(get("nuitka_strict")),
        rules=tuple(ini(config, "nuitka_rules")),
        noise=tuple(ini(config, "nuitka_noise")),
        comparators=tuple(ini(config, "nuitka_comparators")),
        exclude=tuple(ini(config, "nuitka_exclude")),
        stderr=bool(ini(config, "nuitka_stderr")),
    )
    Comparison.from_settings(settings)  # a bad rule, noise or comparator line fails here
    return settings
