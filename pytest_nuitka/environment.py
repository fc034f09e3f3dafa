"""What the build machine is: interpreter, compiler, installed distributions.

Read with importlib.metadata and small subprocesses only: the pytest process never imports
tensorflow, keras or torch.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from importlib import metadata

from .errors import BuildError

HEADER_DISTRIBUTIONS = ("nuitka", "tensorflow", "keras", "tf-keras", "torch")
HEADER_ENV_VARS = ("TF_USE_LEGACY_KERAS", "KERAS_BACKEND")


def version_of(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


@functools.cache
def installed_distributions() -> tuple[str, ...]:
    """Every installed distribution as ``name==version``: Nuitka's package configuration
    evaluates versions of many of them, so all of them key a build."""
    found = {
        f"{(dist.metadata['Name'] or '?').lower()}=={dist.version}"
        for dist in metadata.distributions()
    }
    return tuple(sorted(found))


def interpreter() -> dict[str, str]:
    return {
        "executable": os.path.realpath(sys.executable),
        "version": sys.version,
        "prefix": sys.prefix,
        "base_prefix": sys.base_prefix,
    }


def c_compiler(env: Mapping[str, str]) -> tuple[str, str]:
    """(path, first line of ``--version``) of the C compiler Nuitka will pick up."""
    return _c_compiler(env.get("CC") or None, env.get("PATH"))


@functools.cache
def _c_compiler(cc: str | None, path: str | None) -> tuple[str, str]:
    for name in [cc] if cc else ["gcc", "cc", "clang"]:
        found = shutil.which(name, path=path)
        if found:
            try:
                out = subprocess.run(
                    [found, "--version"], capture_output=True, text=True, timeout=30, check=False
                ).stdout
            except OSError:
                continue
            return os.path.realpath(found), (out.splitlines() or [""])[0]
    wanted = f"$CC={cc}" if cc else "gcc, cc or clang"
    raise BuildError(
        f"no C compiler found on PATH (looked for {wanted}). Nuitka needs one: install gcc "
        "(Debian/Ubuntu: apt-get install gcc) or point CC at a compiler."
    )


def require_nuitka() -> str:
    version = version_of("nuitka")
    if version is None:
        raise BuildError(
            f"Nuitka is not installed in the interpreter under test ({sys.executable}). "
            f"Install it there: {sys.executable} -m pip install nuitka"
        )
    return version


def header_line(cache_dir: str, env: Mapping[str, str] = os.environ) -> str:
    parts = [f"Python {sys.version.split()[0]}"]
    parts += [f"{name} {version_of(name) or '-'}" for name in HEADER_DISTRIBUTIONS]
    parts += [f"{var}={env.get(var, '-')}" for var in HEADER_ENV_VARS]
    parts.append(f"cache {cache_dir}")
    return "nuitka: " + ", ".join(parts)
