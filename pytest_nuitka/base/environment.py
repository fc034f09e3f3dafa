"""What the build machine is: interpreter, compiler, installed distributions.

Read with importlib.metadata and small subprocesses only: the pytest process never imports
tensorflow, keras or torch.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

from packaging.version import Version

from pytest_nuitka.base.errors import BuildError

# The oldest Nuitka the plugin can drive: the first with --module-parameter, which every build
# passes (the torch JIT choice). Older spellings are translated (compilers.mode_options,
# for_release); pyproject.toml and tox's oldest cells say the same
# (tests/compile/test_nuitka_range.py).
OLDEST_NUITKA = "2.0"
NUITKA_REQUIREMENT = f"nuitka>={OLDEST_NUITKA}"
FRAMEWORKS = ("tensorflow", "keras", "tf-keras", "torch")  # distributions, as cells name them
HEADER_DISTRIBUTIONS = ("nuitka", *FRAMEWORKS)

# Environment variables that change what a build produces, found in the public sources and
# manuals of each program the build runs (Linux):
# - Nuitka 4.3 (nuitka/build/SconsCompilerSettings.py, SconsUtils.py, plugins): the C
#   compiler and its flags, the module search path, reproducibility and plugin inputs;
# - GCC's manual, "Environment Variables Affecting GCC": search paths for headers,
#   libraries and the compiler's own programs, SOURCE_DATE_EPOCH;
# - GNU ld's manual: LD_RUN_PATH (the rpath when none is given) and LD_LIBRARY_PATH (searched
#   for the libraries that linked libraries need).
# Every NUITKA_* variable is keyed too, but for those that only move caches or change how
# much is printed. CCACHE_* variables are not keyed: ccache returns what the compiler would.
# PATH is covered by the C compiler it resolves to (its path and version are in the key).
PYTHON_PATH_VARS = (  # where imports resolve (with HOME, for the user's site-packages)
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONNOUSERSITE",
    "PYTHONUSERBASE",
    "PYTHONSAFEPATH",
    "PYTHONPLATLIBDIR",
)
BUILD_ENV_VARS = (
    *("CC", "CXX", "CFLAGS", "CCFLAGS", "CPPFLAGS", "CXXFLAGS", "LDFLAGS"),
    *PYTHON_PATH_VARS,
    *("SOURCE_DATE_EPOCH", "CPATH", "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH", "LIBRARY_PATH"),
    *("GCC_EXEC_PREFIX", "COMPILER_PATH", "LD_RUN_PATH", "LD_LIBRARY_PATH", "CONDA_PREFIX"),
    *("MPLBACKEND", "MATPLOTLIBRC", "MATPLOTLIBDATA", "QT_API", "TCL_LIBRARY", "TK_LIBRARY"),
    "GI_TYPELIB_PATH",
)
NUITKA_ENV_NOT_KEYED = frozenset(
    {
        "NUITKA_CACHE_DIR",
        "NUITKA_CCACHE_BINARY",
        "NUITKA_PROGRESS_BAR",
        "NUITKA_QUIET",
        "NUITKA_TRACE_COMMANDS",
        "NUITKA_UPDATE_CHECK",
        "NUITKA_DATA_COMPOSER_VERBOSE",
    }
)
SEARCH_PATH_VARS = (*PYTHON_PATH_VARS, "HOME")
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


def build_env(env: Mapping[str, str]) -> dict[str, str]:
    """The variables of a build's environment that change what it produces."""
    found = {name: env[name] for name in BUILD_ENV_VARS if name in env}
    for name, value in env.items():
        nuitka = name.lstrip("_").startswith("NUITKA_")
        if nuitka and name not in NUITKA_ENV_NOT_KEYED and not name.startswith("NUITKA_CACHE_DIR"):
            found[name] = value
    return dict(sorted(found.items()))


def module_search_path(env: Mapping[str, str], site: bool = True) -> tuple[str, ...]:
    """sys.path of a fresh interpreter under test in ``env``, without the script's folder:
    where imports that are not beside the script resolve (PYTHONPATH and, with ``site``,
    site-packages and what .pth files add)."""
    variables = tuple((name, env.get(name)) for name in SEARCH_PATH_VARS)
    # Asked again only when a .pth file where the last answer looked changed: a .pth file
    # repointed, added or removed moves the path (each lookup resolves imports along it).
    while True:
        found = _module_search_path(variables, site)
        if _pth_signature(found) == _pth_signature_when(variables, site):
            return found
        _module_search_path.cache_clear()
        _pth_signature_when.cache_clear()


def _pth_signature(search: tuple[str, ...]) -> tuple[tuple[str, int, int], ...]:
    """Each .pth file in the folders of ``search``: name, size, modification time."""
    found = []
    for folder in search:
        with contextlib.suppress(OSError), os.scandir(folder) as listing:
            for entry in listing:
                if entry.name.endswith(".pth"):
                    with contextlib.suppress(OSError):
                        info = entry.stat()
                        found.append((entry.path, info.st_size, info.st_mtime_ns))
    return tuple(sorted(found))


@functools.cache
def _pth_signature_when(
    variables: tuple[tuple[str, str | None], ...], site: bool
) -> tuple[tuple[str, int, int], ...]:
    """The .pth files as they were when the cached search path was read (right after)."""
    return _pth_signature(_module_search_path(variables, site))


@functools.cache
def _module_search_path(
    variables: tuple[tuple[str, str | None], ...], site: bool
) -> tuple[str, ...]:
    env = {name: value for name, value in variables if value is not None}
    env["PATH"] = os.environ.get("PATH", "")
    flags = [] if site else ["-S"]
    done = subprocess.run(
        [sys.executable, *flags, "-c", "import json, sys; print(json.dumps(sys.path[1:]))"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        raise BuildError(
            f"cannot read the module search path of {sys.executable}: {done.stderr.strip()}"
        )
    # An entry that is not a folder (an editable install's path-hook marker) stays as it is:
    # made absolute, it would name the current directory.
    entries = [p for p in json.loads(done.stdout) if p]
    return tuple(os.path.realpath(p) if os.path.isabs(p) else p for p in entries)


def startup_code(search: tuple[str, ...]) -> dict[str, str]:
    """Content hashes of the import lines of the .pth files in the search path's folders:
    code that runs at start-up and may install import hooks (an editable install's finder).
    Their other lines only add folders, which the search path shows and each lookup resolves
    imports along; a file rewritten with the same lines (``pip install -e`` again) is no
    change."""
    found = {}
    for folder in search:
        with contextlib.suppress(OSError):
            for entry in sorted(os.scandir(folder), key=lambda e: e.name):
                if entry.name.endswith(".pth") and entry.is_file():
                    with open(entry.path, "rb") as f:
                        code = [line for line in f if line.startswith((b"import ", b"import\t"))]
                    if not code:
                        continue
                    digest = hashlib.sha256(b"".join(code))
                    # The modules those lines import from beside the file: an editable
                    # install's finder, whose MAPPING says where its package lives.
                    for name in sorted(set(re.findall(rb"import\s+([\w.]+)", b"".join(code)))):
                        module = os.path.join(folder, os.fsdecode(name) + ".py")
                        with contextlib.suppress(OSError), open(module, "rb") as f:
                            digest.update(name + b"\0" + f.read())
                    found[entry.path] = digest.hexdigest()
    return found


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
    """The installed Nuitka's version, refused below the oldest release the plugin serves."""
    version = version_of("nuitka")
    if version is None:
        raise BuildError(
            f"Nuitka is not installed in the interpreter under test ({sys.executable}). "
            f"Install it there: {sys.executable} -m pip install '{NUITKA_REQUIREMENT}'"
        )
    if Version(version) < Version(OLDEST_NUITKA):
        raise BuildError(
            f"Nuitka {version} is installed in {sys.executable}; pytest-nuitka needs "
            f"{NUITKA_REQUIREMENT}. Upgrade it: {sys.executable} -m pip install "
            f"'{NUITKA_REQUIREMENT}'"
        )
    return version


def header_line(cache_dir: str, env: Mapping[str, str] = os.environ) -> str:
    parts = [f"Python {sys.version.split()[0]}"]
    parts += [f"{name} {version_of(name) or '-'}" for name in HEADER_DISTRIBUTIONS]
    parts += [f"{var}={env.get(var, '-')}" for var in HEADER_ENV_VARS]
    parts.append(f"cache {cache_dir}")
    return "nuitka: " + ", ".join(parts)


def with_overrides(base: Mapping[str, str], *overrides: Mapping[str, str | None]) -> dict[str, str]:
    """``base`` updated in order; a value of None unsets the variable."""
    merged: dict[str, str | None] = dict(base)
    for override in overrides:
        merged.update(override)
    return {name: value for name, value in merged.items() if value is not None}


def commit_of(folder: Path) -> str | None:
    """The commit the tested tree is at, when it is a git checkout."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return None
    return done.stdout.strip() or None
