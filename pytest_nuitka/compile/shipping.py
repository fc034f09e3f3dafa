"""Partial standalone: heavy packages ride along uncompiled inside the dist.

Compiling TensorFlow or torch itself takes about an hour on two cores. Shipping them as they
are installed is what people do by hand; done right it needs three things a file copy misses:
the distributions they require, their metadata, and the standard-library modules they import,
which only Nuitka's own inclusion options can put where the dist's importer finds them.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
import sysconfig
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from pytest_nuitka.base.errors import NuitkaPluginError

# Standard-library parts a shipped package may import but a dist must not carry: GUI and
# test-suite packages, installers that only make sense beside a real interpreter, and
# distutils, which setuptools (shipped) replaces with its own copy under the same name.
STDLIB_LEFT_OUT = frozenset(
    {
        "tkinter",
        "turtle",
        "turtledemo",
        "idlelib",
        "test",
        "ensurepip",
        "venv",
        "lib2to3",
        "distutils",
    }
)
IMPORT_LINE = re.compile(rb"^[ \t]*(?:from[ \t]+([A-Za-z_]\w*)|import[ \t]+([A-Za-z_]\w*))", re.M)


@dataclass(frozen=True)
class Shipment:
    folders: tuple[Path, ...]  # top-level folders copied as they are, *.dist-info included
    modules: tuple[str, ...]  # top-level single-file modules: compiled in instead
    stdlib: tuple[str, ...]  # standard-library modules the shipped code imports

    def nuitka_options(self) -> list[str]:
        # Without the flag, the dist's importer refuses not-followed modules outright instead
        # of letting the shipped copies load.
        options = ["--no-deployment-flag=excluded-module-usage"]
        for folder in self.folders:
            if folder.name.isidentifier():
                options.append(f"--nofollow-import-to={folder.name}")
            options.append(f"--include-raw-dir={folder}={folder.name}")
        options += [f"--include-module={name}" for name in self.modules]
        for name in self.stdlib:
            kind = "package" if _is_stdlib_package(name) else "module"
            options.append(f"--include-{kind}={name}")
        return options


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distribution_of(name: str) -> metadata.Distribution:
    """The installed distribution behind an import name or a distribution name."""
    owners = metadata.packages_distributions().get(name, [])
    for candidate in [*owners, name]:
        try:
            return metadata.distribution(candidate)
        except metadata.PackageNotFoundError:
            continue
    raise NuitkaPluginError(
        f"cannot ship {name!r}: no installed distribution provides it. Name an import "
        "name (torch, tensorflow) or a distribution (tf-keras) installed in this environment."
    )


def closure(names: list[str]) -> list[metadata.Distribution]:
    """The named distributions and every one they require, as installed (extras left out)."""
    found: dict[str, metadata.Distribution] = {}
    pending = [distribution_of(name) for name in names]
    while pending:
        dist = pending.pop()
        key = normalise(dist.metadata["Name"])
        if key in found:
            continue
        found[key] = dist
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue
            try:
                pending.append(metadata.distribution(requirement.name))
            except metadata.PackageNotFoundError:
                continue  # optional in practice: the package itself runs without it here
    return [found[key] for key in sorted(found)]


def installed(name: str) -> bool:
    try:
        distribution_of(name)
    except NuitkaPluginError:
        return False
    return True


def plan(names: list[str]) -> Shipment:
    """``names`` ending in ``?`` are shipped when installed (an exporter the app imports on
    one path only, installed in some environments), the others always."""
    chosen = [n for n in names if not n.endswith("?")]
    chosen += [n[:-1] for n in names if n.endswith("?") and installed(n[:-1])]
    dists = closure(chosen)
    folders: dict[str, Path] = {}
    modules: set[str] = set()
    for dist in dists:
        base = Path(str(dist.locate_file("")))
        for file in dist.files or []:
            top = file.parts[0]
            if top in ("..", "__pycache__") or top.endswith((".egg-info", ".pth")):
                continue
            if len(file.parts) > 1:
                folders[top] = base / top
            elif file.suffix in (".py", ".so"):
                modules.add(top.split(".")[0])
    # One name, a folder and a module (simsimd: type stubs in simsimd/, the code in
    # simsimd.cpython-*.so): ship what Python imports. A package (__init__.py) wins over a
    # module; a module wins over a folder without one, which is only a namespace.
    for name in modules & folders.keys():
        if (folders[name] / "__init__.py").exists():
            modules.discard(name)
        else:
            del folders[name]
    shipped = sorted(folders.values())
    return Shipment(
        folders=tuple(shipped),
        modules=tuple(sorted(modules)),
        stdlib=tuple(sorted(stdlib_imports(tuple(shipped)))),
    )


@functools.lru_cache(maxsize=8)
def stdlib_imports(folders: tuple[Path, ...]) -> set[str]:
    """Top-level standard-library modules named in import statements of the shipped code.
    A static scan over-approximates, which is the safe side: an import the shipped code makes
    only on some paths still finds its module."""
    found: set[str] = set()
    for folder in folders:
        for path in folder.rglob("*.py"):
            for match in IMPORT_LINE.finditer(path.read_bytes()):
                found.add((match.group(1) or match.group(2)).decode())
    return {
        name
        for name in found
        if name in sys.stdlib_module_names
        and name not in STDLIB_LEFT_OUT
        and name not in sys.builtin_module_names  # always there
        and importlib.util.find_spec(name) is not None  # not for this platform (winreg)
    }


def _is_stdlib_package(name: str) -> bool:
    return (Path(sysconfig.get_paths()["stdlib"]) / name / "__init__.py").is_file()
