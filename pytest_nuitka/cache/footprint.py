"""What a build read, recorded beside its binary, so that a cache lookup can tell whether a
fresh build of the same inputs would still give the same binary.

The cache key covers what is known before building (options, versions, environment). What
Nuitka found while building is known only after: which files it compiled in, what each import
resolved to, and which imports found nothing. A lookup re-checks those:

- local sources (beside the script) by content; installed files (site-packages, the standard
  library, shipped packages) by size and modification time, which a patch or an edit changes;
- every compiled module still resolves to the file it was compiled from (a new
  ``helper/__init__.py`` shadows ``helper.py``; a ``.pth`` file points elsewhere);
- every import that found nothing still finds nothing (an optional ``fast_impl.py`` added);
- every top-level name the compiled code imports still resolves where it did, along the
  search path of the lookup (a local ``json.py`` now shadows the standard library's, a
  ``helper.py`` an installed ``helper``), so that nothing else on the path keys the build.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Recorded in place of a signature for a file that changed while the build read it: it never
# matches, so the next lookup rebuilds.
EDITED_DURING_BUILD = "edited during the build"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Footprint:
    """What a compiler reports it read. ``sources``: local files compiled in, checked by
    content. ``installed``: other files the binary carries (installed packages compiled in,
    shipped folders), checked by size and modification time. ``modules``: compiled module
    name -> the file it came from. ``absent``: imports that found nothing. ``imported``: every
    top-level name the compiled code imports, followed or not."""

    sources: tuple[Path, ...] = ()
    installed: tuple[Path, ...] = ()
    modules: Mapping[str, str] = field(default_factory=dict)
    absent: tuple[str, ...] = ()
    imported: tuple[str, ...] = ()


def record(footprint: Footprint, search: Sequence[str], since_ns: int) -> dict[str, Any]:
    """The entry's record of ``footprint``; ``search`` is where imports resolve (the script's
    folder, then the build interpreter's sys.path); ``since_ns``: when the build started."""
    sources = {}
    for path in sorted(set(footprint.sources)):
        info = path.stat()
        sources[str(path)] = (
            EDITED_DURING_BUILD if info.st_mtime_ns >= since_ns else sha256_file(path)
        )
    installed: dict[str, list[int] | str] = {}
    for path in sorted(set(footprint.installed) - set(footprint.sources)):
        try:
            info = path.lstat()
        except OSError:
            continue  # a broken link Nuitka skipped
        installed[str(path)] = (
            EDITED_DURING_BUILD
            if info.st_mtime_ns >= since_ns
            else [info.st_size, info.st_mtime_ns]
        )
    # Kept only where this resolver agrees with the compiler now, so a lookup right after
    # the build finds nothing changed; the others are still covered by their files.
    resolver = Resolver(search)
    modules = {n: o for n, o in footprint.modules.items() if resolver.origin(n) == o}
    absent = [n for n in set(footprint.absent) if resolver.origin(n) is None]
    # A built-in module is found before any file, so no file beside the script shadows it.
    names = set(footprint.imported) - set(sys.builtin_module_names)
    return {
        "sources": sources,
        "installed": installed,
        "modules": dict(sorted(modules.items())),
        "absent": sorted(absent),
        "imports": {name: resolver.origin(name) for name in sorted(names)},
        "search": list(search),  # where they resolved, for the reader: lookups use their own
    }


def stale(recorded: Mapping[str, Any], search: Sequence[str]) -> str | None:
    """Why the recorded build is no longer what a fresh one would give, or None. ``search``
    is where imports resolve now: the script's folder, then the interpreter's path."""
    for name, digest in recorded.get("sources", {}).items():
        path = Path(name)
        try:
            if digest == EDITED_DURING_BUILD or sha256_file(path) != digest:
                return f"{path} changed"
        except OSError:
            return f"{path} is gone"
    for name, signature in recorded.get("installed", {}).items():
        try:
            info = os.lstat(name)
        except OSError:
            return f"{name} is gone"
        if signature == EDITED_DURING_BUILD or [info.st_size, info.st_mtime_ns] != signature:
            return f"{name} changed"
    resolver = Resolver(search)
    for module, origin in recorded.get("imports", {}).items():
        now = resolver.origin(module)
        if now != origin:
            return f"import {module} now finds {now or 'nothing'} (built when it found {origin})"
    for module, origin in recorded.get("modules", {}).items():
        now = resolver.origin(module)
        if now != origin:
            return f"import {module} now finds {now or 'nothing'} (built from {origin})"
    for module in recorded.get("absent", ()):
        now = resolver.origin(module)
        if now is not None:
            return f"import {module} found nothing at build time and now finds {now}"
    return None


class Resolver:
    """Where ``import name`` would find its file along ``search``, without importing
    anything: the path-based finders' own rules (a package before a module of the same name,
    extension modules, namespace packages)."""

    def __init__(self, search: Sequence[str]) -> None:
        self.search = [entry for entry in search if entry]
        self._locations: dict[str, list[str] | None] = {}
        importlib.invalidate_caches()

    def _spec(self, name: str, path: Sequence[str]) -> importlib.machinery.ModuleSpec | None:
        try:
            return importlib.machinery.PathFinder.find_spec(name, list(path))
        except (ImportError, ValueError, OSError):
            return None

    def _package(self, name: str) -> list[str] | None:
        """The folders a package's submodules are found in, None if it is not found."""
        if name not in self._locations:
            parent, _, _ = name.rpartition(".")
            path = self._package(parent) if parent else self.search
            spec = self._spec(name, path) if path is not None else None
            locations = spec.submodule_search_locations if spec else None
            self._locations[name] = list(locations) if locations is not None else None
        return self._locations[name]

    def origin(self, name: str) -> str | None:
        """The file (or, for a namespace package, the first folder) ``name`` resolves to."""
        parent, _, _ = name.rpartition(".")
        path = self._package(parent) if parent else self.search
        if path is None:
            return None
        spec = self._spec(name, path)
        if spec is None:
            return None
        if spec.origin and spec.has_location:
            return os.path.realpath(spec.origin)
        locations = spec.submodule_search_locations
        return os.path.realpath(locations[0]) if locations else None
