"""What a dist needs from the machine it runs on, against what any Linux target may be assumed
to have.

A dist passes on the build machine whatever it needs from ``/usr/lib``; on the user's machine
every shared library it needs from outside itself must be one that all Linux systems carry.
That set is the manylinux policy auditwheel maintains (libc, libstdc++, libm, libz, libGL, ...),
read from auditwheel's own data for this machine's glibc, never copied by hand.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from auditwheel.architecture import Architecture
from auditwheel.elfutils import elf_read_dt_needed
from auditwheel.lddtree import parse_ld_so_conf
from auditwheel.libc import Libc
from auditwheel.policy import WheelPolicies
from elftools.common.exceptions import ELFError

from pytest_nuitka.errors import NuitkaPluginError

ELF_MAGIC = b"\x7fELF"
# The ELF interpreter (ld-linux-x86-64.so.2 and kin) comes with libc on every target.
INTERPRETER = re.compile(r"^ld-linux[\w.-]*\.so(\.\d+)*$")
LIBRARY_NAME = re.compile(r"\.so(\.[\w.]+)?$")
TRUSTED_DIRS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64")


@dataclass(frozen=True)
class Policy:
    name: str  # manylinux_2_36_x86_64
    allowed: frozenset[str]  # sonames a target may be assumed to have


@dataclass(frozen=True)
class Foreign:
    """A library the dist needs from outside itself that a target may lack."""

    soname: str
    needed_by: tuple[str, ...]  # files of the dist, relative to it
    found_at: str | None  # where this machine resolves it; None: nowhere


@functools.cache
def policy() -> Policy:
    """The manylinux policy of this machine's glibc (the newest policy not newer than it)."""
    version = Libc.GLIBC.get_current_version()
    candidates = [
        p
        for p in WheelPolicies(libc=Libc.GLIBC, arch=Architecture.detect())
        if p.name.startswith("manylinux_")
        and tuple(map(int, p.name.split("_")[1:3])) <= (version.major, version.minor)
    ]
    if not candidates:
        raise NuitkaPluginError(
            f"auditwheel knows no manylinux policy for glibc {version.major}.{version.minor}"
        )
    chosen = min(candidates)  # policies order by priority: the lowest is the newest
    return Policy(chosen.name, frozenset(chosen.whitelist))


def allowed(soname: str) -> bool:
    return soname in policy().allowed or bool(INTERPRETER.match(soname))


def is_library_name(name: str) -> bool:
    return bool(LIBRARY_NAME.search(name)) or bool(INTERPRETER.match(name))


@functools.cache
def search_path() -> tuple[Path, ...]:
    """Where this machine's loader looks: ld.so.conf (with its includes), then the trusted
    folders. LD_LIBRARY_PATH is left out: a user's machine has its own, or none."""
    folders = [*parse_ld_so_conf("/etc/ld.so.conf"), *TRUSTED_DIRS]
    seen: dict[Path, None] = {}
    for folder in folders:
        path = Path(folder)
        if path.is_dir():
            seen.setdefault(path.resolve())
    return tuple(seen)


def resolve(soname: str) -> Path | None:
    for folder in search_path():
        candidate = folder / soname
        if candidate.exists():
            return candidate
    return None


def elf_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        try:
            with path.open("rb") as handle:
                magic = handle.read(4)
        except OSError:
            continue  # unreadable here, so unreadable to the loader as well
        if magic == ELF_MAGIC:
            yield path


def needed(path: Path) -> list[str]:
    """DT_NEEDED of one ELF file; a file without a dynamic section, or one that is not a
    well-formed ELF file (an object file, a truncated copy), needs nothing the loader reads."""
    try:
        return list(map(str, elf_read_dt_needed(path)))
    except (ValueError, ELFError, OSError):
        return []


def links_out(dist: Path) -> list[tuple[str, str]]:
    """Symbolic links in the dist that point outside it: the target is the build machine's."""
    if not dist.is_dir():
        return []
    root = dist.resolve()
    return [
        (str(path.relative_to(dist)), os.readlink(path))
        for path in sorted(dist.rglob("*"))
        if path.is_symlink() and not path.resolve().is_relative_to(root)
    ]


def foreign(dist: Path) -> list[Foreign]:
    """Every library an ELF file of ``dist`` needs that the dist does not hold under that
    name and the policy does not allow. A name the dist holds anywhere counts as held (the
    loader finds it through the needing file's rpath, or because it is already loaded), unless
    it is a link out of the dist."""
    files = list(elf_files(dist)) if dist.is_dir() else [dist]
    escaping = {Path(link).name for link, _ in links_out(dist)}
    held = {path.name for path in (dist.rglob("*") if dist.is_dir() else [dist])} - escaping
    wanted: dict[str, list[str]] = {}
    for path in files:
        for soname in needed(path):
            if soname not in held and not allowed(soname):
                where = path.relative_to(dist) if dist.is_dir() else Path(path.name)
                wanted.setdefault(soname, []).append(str(where))
    return [
        Foreign(soname, tuple(by), _shown(resolve(soname))) for soname, by in sorted(wanted.items())
    ]


def _shown(path: Path | None) -> str | None:
    return None if path is None else str(path)


@functools.cache
def kept_on_target() -> frozenset[Path]:
    """The real files of the allowed libraries and of what they need in turn, as this machine
    has them: what the clean room leaves visible in the system's library folders."""
    pending = [name for name in policy().allowed]
    pending += [p.name for folder in search_path() for p in folder.glob("ld-linux*")]
    kept: set[Path] = set()
    seen: set[str] = set()
    while pending:
        soname = pending.pop()
        if soname in seen:
            continue
        seen.add(soname)
        path = resolve(soname)
        if path is None:
            continue
        real = path.resolve()
        kept.add(real)
        pending += needed(real)
    return frozenset(kept)


def kept_name(entry: Path) -> bool:
    """Whether a library file or link in a system folder stays visible in the clean room."""
    try:
        real = entry.resolve()
    except OSError:
        return False
    return real in kept_on_target()


def report(dist: Path, found: Sequence[Foreign], links: Sequence[tuple[str, str]] = ()) -> str:
    name = policy().name
    lines = []
    if found:
        lines.append(
            f"the dist needs {len(found)} shared librar{'y' if len(found) == 1 else 'ies'} "
            f"from outside itself that a Linux target may lack (not in auditwheel's {name} "
            f"policy): {dist}"
        )
    for item in found:
        by = ", ".join(item.needed_by[:3]) + (
            f" and {len(item.needed_by) - 3} more" if len(item.needed_by) > 3 else ""
        )
        where = item.found_at or "not found on this machine either"
        lines.append(f"  {item.soname}  needed by {by}  (here: {where})")
    if links:
        lines.append(f"the dist links to {len(links)} path(s) outside itself: {dist}")
        lines += [f"  {link} -> {target}" for link, target in links]
    lines.append(
        "remedy: include the library in the dist (--include-data-files=PATH=NAME beside the "
        "file that needs it, or a folder on its rpath), or ship the package that carries it "
        "bundled (a manylinux wheel); a link out of the dist: include its target instead"
    )
    return "\n".join(lines)
