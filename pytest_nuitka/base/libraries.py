"""What a dist needs from the machine it runs on, against what any Linux target may be assumed
to have.

A dist passes on the build machine whatever it needs from ``/usr/lib``; on the user's machine
every shared library it needs from outside itself must be one that all Linux systems carry.
That set is the manylinux policy auditwheel maintains (libc, libstdc++, libm, libz, libGL, ...),
read from auditwheel's own data for this machine's glibc, never copied by hand.

Two kinds of needs from outside are no failure. A GPU driver's libraries (libcuda.so.1) are
always the target's own: a target that runs the GPU code has them, and a copy shipped in the
dist would not match its kernel module. And a library needed only by files that nothing
links to (nvshmem's transport plugins, cufile's RDMA plugin: a library opens them when
they are present and goes on without them) fails nothing when it is missing; such needs are
named as notes, because a helper the app's Python code opens with ctypes looks the same.
"""

from __future__ import annotations

import enum
import functools
import os
import re
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from auditwheel.architecture import Architecture
from auditwheel.lddtree import parse_ld_so_conf
from auditwheel.libc import Libc
from auditwheel.policy import WheelPolicies
from elftools.common.exceptions import ELFError
from elftools.elf.dynamic import DynamicSegment
from elftools.elf.elffile import ELFFile
from elftools.elf.hash import ELFHashTable, GNUHashTable

from pytest_nuitka.base.errors import NuitkaPluginError

ELF_MAGIC = b"\x7fELF"
# The ELF interpreter (ld-linux-x86-64.so.2 and kin) comes with libc on every target.
INTERPRETER = re.compile(r"^ld-linux[\w.-]*\.so(\.\d+)*$")
TRUSTED_DIRS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64")
# A library's name before ".so": libcuda.so.1 -> libcuda, libnvidia-gpucomp.so.580.95.05 ->
# libnvidia-gpucomp.
STEM = re.compile(r"^(.+?)\.so(\.|$)")
# What the NVIDIA driver installs on a machine with a GPU, by stem: the libraries the NVIDIA
# Container Toolkit mounts from the host's driver into a GPU container (NVIDIA/libnvidia-
# container, src/nvc_info.c: utility_libs, compute_libs, video_libs, graphics_libs,
# graphics_libs_glvnd, ngx_libs). Left out: its graphics_libs_compat (libGL, libEGL, libGLES*:
# libglvnd's loaders, not the driver's) and dxcore_libs (WSL's).
NVIDIA_DRIVER = frozenset(
    {
        # utility
        "libnvidia-ml",
        "libnvidia-cfg",
        "libnvidia-nscq",
        # compute
        "libcuda",
        "libcudadebugger",
        "libnvidia-opencl",
        "libnvidia-gpucomp",
        "libnvidia-ptxjitcompiler",
        "libnvidia-fatbinaryloader",
        "libnvidia-allocator",
        "libnvidia-compiler",
        "libnvidia-pkcs11",
        "libnvidia-pkcs11-openssl3",
        "libnvidia-nvvm",
        "libnvidia-tileiras",
        # video
        "libvdpau_nvidia",
        "libnvidia-encode",
        "libnvidia-opticalflow",
        "libnvcuvid",
        # graphics
        "libnvidia-eglcore",
        "libnvidia-glcore",
        "libnvidia-tls",
        "libnvidia-glsi",
        "libnvidia-fbc",
        "libnvidia-ifr",
        "libnvidia-rtcore",
        "libnvoptix",
        "libGLX_nvidia",
        "libEGL_nvidia",
        "libGLESv2_nvidia",
        "libGLESv1_CM_nvidia",
        "libnvidia-glvkspirv",
        "libnvidia-cbl",
        # ngx
        "libnvidia-ngx",
    }
)


@dataclass(frozen=True)
class Policy:
    name: str  # manylinux_2_36_x86_64
    allowed: frozenset[str]  # sonames a target may be assumed to have


class Kind(enum.Enum):
    """Whether a library from outside the dist fails the check, and if not, why not."""

    LINKED = "linked"  # a file linked into the app needs it: a failure
    UNLINKED = "unlinked"  # only files nothing links to need it: a note
    DRIVER = "driver"  # the target's GPU driver provides it: a note


@dataclass(frozen=True)
class Foreign:
    """A library the dist needs from outside itself that the policy does not allow."""

    soname: str
    needed_by: tuple[str, ...]  # files of the dist, relative to it; those linked in first
    found_at: str | None  # where this machine resolves it; None: nowhere
    kind: Kind = Kind.LINKED

    @property
    def fails(self) -> bool:
        return self.kind is Kind.LINKED


@dataclass(frozen=True)
class Elf:
    """What the loader reads of one ELF file."""

    needed: tuple[str, ...]  # DT_NEEDED
    root: bool  # run or imported on its own: a program, or a Python extension module


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


def from_driver(soname: str) -> bool:
    """Whether the NVIDIA driver installs this library on a target with a GPU."""
    stem = STEM.match(soname)
    return stem is not None and stem.group(1) in NVIDIA_DRIVER


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


def read_elf(path: Path) -> Elf:
    """The DT_NEEDED entries of one ELF file and whether it is a root, read from its dynamic
    segment as the loader reads it (section headers may be stripped). A file without one, or
    one that is not a well-formed ELF file (an object file, a truncated copy), needs nothing
    the loader reads."""
    try:
        with path.open("rb") as handle:
            elf = ELFFile(handle)
            program, dynamic = False, None
            for segment in elf.iter_segments():
                program = program or segment["p_type"] == "PT_INTERP"
                if isinstance(segment, DynamicSegment):
                    dynamic = segment
            if dynamic is None:
                return Elf((), program)
            # pyelftools sets the name on DT_NEEDED tags only, so its types do not know it.
            tags = dynamic.iter_tags("DT_NEEDED")
            needed = tuple(str(tag.needed) for tag in tags)  # type: ignore[attr-defined]
            return Elf(needed, program or _exports(elf, dynamic, _init_function(path)))
    except (ValueError, ELFError, OSError, struct.error):
        return Elf((), False)


def _init_function(path: Path) -> str:
    """What Python calls to import an extension module at ``path``: PyInit_ and the module's
    last name, the file name up to its first dot (``_C.cpython-312-x86_64-linux-gnu.so``,
    ``_C.so``), or the folder's for a package's ``__init__``."""
    name = path.name.split(".")[0]
    return f"PyInit_{path.parent.name if name == '__init__' else name}"


def _exports(elf: ELFFile, dynamic: DynamicSegment, symbol: str) -> bool:
    """Whether the file defines the dynamic symbol, looked up in its hash table as the loader
    does: reading every symbol of a large library (libtorch_cuda.so) takes seconds."""
    table: GNUHashTable | ELFHashTable
    _, offset = dynamic.get_table_offset("DT_GNU_HASH")
    if offset is not None:
        table = GNUHashTable(elf, offset, dynamic)
    else:
        _, offset = dynamic.get_table_offset("DT_HASH")
        if offset is None:
            return False
        table = ELFHashTable(elf, offset, None, dynamic)
    found = table.get_symbol(symbol)
    return found is not None and found["st_shndx"] != "SHN_UNDEF"


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


def examine(dist: Path) -> list[Foreign]:
    """Every library an ELF file of ``dist`` needs that the dist does not hold under that name
    and the policy does not allow, each with its kind. A name the dist holds anywhere counts as
    held (the loader finds it through the needing file's rpath, or because it is already
    loaded), unless it is a link out of the dist.

    The files linked into the app are its roots, what runs or is imported on its own (its
    programs and its Python extension modules; ``dist`` itself when it is a file), and, by
    file name, what they need within the dist, in turn. Any other file is only ever opened by
    name at run time (a plugin loaded when present, a helper opened with ctypes): a library
    only such files need is a note, not a failure."""
    if dist.is_dir():
        elves = {path: read_elf(path) for path in elf_files(dist)}
        escaping = {Path(link).name for link, _ in links_out(dist)}
        entries = list(dist.rglob("*"))
        held = {path.name for path in entries} - escaping
        named: dict[str, set[Path]] = {}  # the dist's ELF files by each name they are found by
        root = dist.resolve()
        for entry in entries:
            path = entry
            if entry.is_symlink():  # resolving every entry would double the check's time
                real = entry.resolve()
                path = dist / real.relative_to(root) if real.is_relative_to(root) else real
            if path in elves:
                named.setdefault(entry.name, set()).add(path)
        loaded = {path for path, elf in elves.items() if elf.root}
        pending = list(loaded)
        while pending:
            for soname in elves[pending.pop()].needed:
                for path in named.get(soname, set()) - loaded:
                    loaded.add(path)
                    pending.append(path)
        shown = {path: str(path.relative_to(dist)) for path in elves}
    else:
        elves = {dist: read_elf(dist)}
        held, loaded, shown = {dist.name}, {dist}, {dist: dist.name}
    wanted: dict[str, list[Path]] = {}
    for path, elf in elves.items():  # in the order of their paths
        for soname in elf.needed:
            if soname not in held and not allowed(soname):
                wanted.setdefault(soname, []).append(path)
    found = []
    for soname, by in sorted(wanted.items()):
        if from_driver(soname):
            kind = Kind.DRIVER
        else:
            kind = Kind.LINKED if loaded.intersection(by) else Kind.UNLINKED
        by.sort(key=lambda path: path not in loaded)  # a remedy puts it beside the first
        found.append(
            Foreign(soname, tuple(map(shown.__getitem__, by)), _shown(resolve(soname)), kind)
        )
    return found


def foreign(dist: Path) -> list[Foreign]:
    """What the dist needs from outside itself that a target may lack: ``examine`` without
    what the target's GPU driver provides. The check fails on those that ``fails``; each one
    found on this machine is the library a clean-room failure may be missing."""
    return [item for item in examine(dist) if item.kind is not Kind.DRIVER]


def _shown(path: Path | None) -> str | None:
    return None if path is None else str(path)


@functools.cache
def kept_on_target() -> frozenset[Path]:
    """The real files of the allowed libraries, of the GPU driver's (a target with a GPU has
    its own), and of what they need in turn, as this machine has them: what the clean room
    leaves visible in the system's library folders."""
    pending = [name for name in policy().allowed]
    pending += [p.name for folder in search_path() for p in folder.glob("ld-linux*")]
    pending += [p.name for folder in search_path() for p in folder.iterdir() if from_driver(p.name)]
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
        pending += read_elf(real).needed
    return frozenset(kept)


# What each kind of note means, as a report heads it.
NOTES = {
    Kind.DRIVER: "provided by the NVIDIA driver on the target, never shipped",
    Kind.UNLINKED: (
        "needed only by files nothing links to, which are loaded when present (a plugin "
        "goes without them; a helper opened with ctypes fails when opened: the clean room "
        "shows it)"
    ),
}


def report(dist: Path, found: Sequence[Foreign], links: Sequence[tuple[str, str]] = ()) -> str:
    """The failures among ``found`` and the links out of the dist, with the remedy, then the
    notes among ``found``; a report of notes alone has no remedy."""
    name = policy().name
    failures = [item for item in found if item.fails]
    lines = []
    if failures:
        lines.append(
            f"the dist needs {len(failures)} shared librar{'y' if len(failures) == 1 else 'ies'} "
            f"from outside itself that a Linux target may lack (not in auditwheel's {name} "
            f"policy): {dist}"
        )
        lines += map(_line, failures)
    if links:
        lines.append(f"the dist links to {len(links)} path(s) outside itself: {dist}")
        lines += [f"  {link} -> {target}" for link, target in links]
    if failures or links:
        lines.append(
            "remedy: include the library in the dist (--include-data-files=PATH=NAME beside the "
            "file that needs it, or a folder on its rpath), or ship the package that carries it "
            "bundled (a manylinux wheel); a link out of the dist: include its target instead"
        )
    for kind, heading in NOTES.items():
        notes = [item for item in found if item.kind is kind]
        if notes:
            lines.append(f"note: {heading}:")
            lines += map(_line, notes)
    return "\n".join(lines)


def _line(item: Foreign) -> str:
    by = ", ".join(item.needed_by[:3]) + (
        f" and {len(item.needed_by) - 3} more" if len(item.needed_by) > 3 else ""
    )
    where = item.found_at or "not found on this machine either"
    return f"  {item.soname}  needed by {by}  (here: {where})"
