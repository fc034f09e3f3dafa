"""Content-addressed store of built binaries, shared by tests, sessions and xdist workers.

Layout under ``<root>/v1``::

    entries/<key>/<footprint-hash>/  meta.json, build.log, product/   (published, immutable)
    locks/<key>.lock                                                  (flock per key)
    locks/<key>.use                  (shared flock: a session runs the key's entries)
    tmp/<key>.<nonce>/               entry/, work/                    (a build in progress)
    failed/<key>.<time>/             entry/build.log, work/           (the last failure per key)

An entry appears only through one rename once its meta.json is written, so a killed build
leaves nothing that a lookup accepts; the per-key lock makes N workers build a key once.
A hit touches the entry, so that pruning to a size limit removes the least recently used;
an entry that a session has looked up stays until that session ends, whoever prunes.

Binaries are run from here, so nobody else may be able to change what is here: every folder
and file is checked to be ours and not writable by others before anything is read or written,
every file of a product is held against the entry's integrity record, and no symbolic link
inside the cache is followed.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import os
import shlex
import shutil
import stat
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypedDict, cast, get_origin, get_type_hints

from pytest_nuitka.base import locks
from pytest_nuitka.base.errors import BuildError
from pytest_nuitka.cache import footprint
from pytest_nuitka.cache.footprint import sha256_file
from pytest_nuitka.cache.product import Built, CompileFailed

FORMAT = "v1"
FOLDERS = ("entries", "locks", "tmp", "failed", "evidence")  # the last three: Kept
PARTIAL = ".partial-"  # evidence being copied: renamed when whole, swept when stale
KEEP_VARIANTS = 3  # source revisions kept per key, newest first
# A build prunes only entries unused for this long: another worker may be running them.
PRUNE_GRACE_SECONDS = 3600.0


FOLDER_MODE = 0o755  # whatever the umask: a group-writable cache is refused
UNSAFE_BITS = stat.S_IWGRP | stat.S_IWOTH


def sha256_tree(path: Path) -> str:
    """Hash of a file, or of a folder's relative names and contents."""
    if path.is_file():
        return sha256_file(path)
    digest = hashlib.sha256()
    for item in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(f"{item.relative_to(path).as_posix()}\0{sha256_file(item)}\0".encode())
    return digest.hexdigest()


def tree_size(path: Path) -> int:
    """Bytes of the files under ``path`` (links not followed); 0 if it is gone."""
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                info = os.lstat(os.path.join(folder, name))
                if stat.S_ISREG(info.st_mode):
                    total += info.st_size
    return total


def sha256_json(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def product_record(product: Path) -> tuple[dict[str, list[Any]], str | None]:
    """Every folder, file and link under ``product``: ``["dir", mode]``, ``[mode, size,
    mtime_ns, ctime_ns]`` for a file, ``["link", target]`` for a link (which must stay inside
    the product); and why the first file or folder that is not ours alone is unsafe, if any.
    A lookup holds the product against the record (a dist has tens of thousands of files, so
    this walk is kept to one lstat each). Size and mtime can be set back (``touch -r``); the
    inode change time cannot, as git's index relies on: a file whose ctime moved is checked
    by content."""
    found: dict[str, list[Any]] = {}
    unsafe = None
    uid = os.getuid()
    todo = [(str(product), "")]
    while todo:
        folder, prefix = todo.pop()
        with os.scandir(folder) as listing:
            for item in listing:
                relative = prefix + item.name
                info = item.stat(follow_symlinks=False)
                mode = info.st_mode
                if stat.S_ISLNK(mode):
                    target = os.readlink(item.path)
                    inside = os.path.normpath(os.path.join(folder, target))
                    if os.path.isabs(target) or not Path(inside).is_relative_to(product):
                        raise ValueError(f"{relative} links outside the product, to {target}")
                    found[relative] = ["link", target]
                    continue
                if stat.S_ISDIR(mode):
                    found[relative] = ["dir", mode]
                    todo.append((item.path, relative + "/"))
                elif stat.S_ISREG(mode):
                    found[relative] = [mode, info.st_size, info.st_mtime_ns, info.st_ctime_ns]
                else:
                    raise ValueError(f"{relative} is neither a file, a folder nor a link")
                if unsafe is None and (info.st_uid != uid or mode & UNSAFE_BITS):
                    unsafe = ours(Path(item.path), info)
    return found, unsafe


def product_hashes(product: Path) -> dict[str, str]:
    """sha256 of every file under ``product``, by its relative path: what a file whose inode
    changed is held to, and what a copy of the entry can be verified against."""
    found = {}
    for folder, _, files in os.walk(product):
        for name in files:
            path = os.path.join(folder, name)
            if stat.S_ISREG(os.lstat(path).st_mode):
                found[os.path.relpath(path, product)] = sha256_file(Path(path))
    return found


def ours(path: Path, info: os.stat_result) -> str | None:
    """Why ``path`` cannot be trusted to hold binaries we run, or None."""
    if info.st_uid != os.getuid():
        return (
            f"{path} is owned by another user (uid {info.st_uid}, you are uid {os.getuid()}): "
            "a binary there could be replaced before it runs, so none is built or run there. "
            "Use a --nuitka-cache-dir (PYTEST_NUITKA_CACHE_DIR) of your own"
        )
    if info.st_mode & UNSAFE_BITS:
        if info.st_mode & stat.S_ISVTX:  # /tmp and its like: shared on purpose
            advice = (
                "It is a shared folder (sticky bit, like /tmp), so leave its mode alone: use a "
                f"--nuitka-cache-dir (PYTEST_NUITKA_CACHE_DIR) of your own, e.g. "
                f"{path / f'pytest-nuitka-{os.getuid()}'}"
            )
        else:
            advice = f"Run chmod go-w {shlex.quote(str(path))} or use a private --nuitka-cache-dir"
        return (
            f"{path} is writable by other users (mode {stat.filemode(info.st_mode)}): anyone "
            f"could replace a binary before it runs, so none is built or run there. {advice}"
        )
    return None


def safe_parent(folder: Path) -> str | None:
    """Why a folder above the cache lets someone else swap the cache, or None: another user
    (root aside) owns it, or anyone may rename what is in it (writable by others without the
    sticky bit that /tmp has)."""
    try:
        info = folder.stat()
    except FileNotFoundError:
        return None  # created below, by us
    if info.st_uid not in (0, os.getuid()):
        return (
            f"{folder}, above the build cache, is owned by another user (uid {info.st_uid}): "
            "they could replace the cache. Use a --nuitka-cache-dir (PYTEST_NUITKA_CACHE_DIR) "
            "of your own"
        )
    if info.st_mode & stat.S_IWOTH and not info.st_mode & stat.S_ISVTX:
        # Only a folder of the user's own is theirs to change; others share it on purpose.
        mine = info.st_uid == os.getuid() and os.getuid() != 0
        advice = f"Run chmod o-w {shlex.quote(str(folder))} or use" if mine else "Use"
        return (
            f"{folder}, above the build cache, is writable by everyone (mode "
            f"{stat.filemode(info.st_mode)}): anyone could replace the cache. {advice} a "
            "private --nuitka-cache-dir (PYTEST_NUITKA_CACHE_DIR) in a folder of your own"
        )
    return None


class Verdict(StrEnum):
    """What a lookup found: a valid entry, or why the key has to be built."""

    HIT = "hit"
    MISS = "miss"
    CHANGED = "changed"
    FORCED = "forced"
    CORRUPT = "corrupt"

    @property
    def why_built(self) -> str:
        return _WHY_BUILT[self]


_WHY_BUILT = {
    Verdict.HIT: "",
    Verdict.MISS: "not in the cache",
    Verdict.CHANGED: "what it was built from changed",
    Verdict.FORCED: "--nuitka-rebuild",
    Verdict.CORRUPT: "the cached entry was corrupt and is replaced",
}


class EntryMeta(TypedDict):
    """An entry's meta.json: what it was built from, and the record each lookup holds it to."""

    key: str
    inputs: dict[str, Any]  # the cache key's inputs (builder.Builder.inputs)
    executable: str  # relative to product/
    size: int  # of the executable
    product_size: int  # of the whole product, a dist included
    product: dict[str, list[Any]]  # product_record()
    hashes: dict[str, str]  # sha256 of each file of the product, at publish
    sha256: str  # of the executable
    footprint: dict[str, Any]  # footprint.record(): what Nuitka found while building
    run_id: str  # the session that built it (--nuitka-rebuild rebuilds once per session)
    built_at: float
    seconds: float  # the build's wall time


@dataclass(frozen=True)
class Entry:
    path: Path
    meta: EntryMeta

    @property
    def executable(self) -> Path:
        return self.path / "product" / self.meta["executable"]

    @functools.cached_property
    def size(self) -> int:
        """Bytes on disk of the product (a dist can be gigabytes); read once, so it stays
        known after the entry is removed."""
        return self.meta["product_size"]

    @functools.cached_property
    def last_used(self) -> float:
        """Read once: another session may prune the entry meanwhile. One gone already reads
        as never used, so a prune in progress passes over it (removing it again is a no-op)."""
        try:
            return self.path.stat().st_mtime
        except FileNotFoundError:
            return 0.0


class Kept(StrEnum):
    """What the cache keeps beside its entries, each in the folder of its name."""

    FAILED = "failed"  # a failed build, its log and build folder
    TMP = "tmp"  # scratch of a build that is running or was killed
    EVIDENCE = "evidence"  # what a failed check showed


@dataclass(frozen=True)
class Leftover:
    """A failed build kept for the user, scratch of a build, or a failed check's evidence."""

    path: Path
    kind: Kept
    size: int
    last_used: float


class BuildCache:
    def __init__(
        self, root: Path, run_id: str, rebuild: bool, max_bytes: int | None = None
    ) -> None:
        self.root = root
        self.base = root / FORMAT
        self.run_id = run_id
        self.rebuild = rebuild
        self.max_bytes = max_bytes
        self._held: dict[str, int] = {}  # key -> its .use file, locked shared
        self.busy: list[Entry] = []  # what the last prune passed over: in use elsewhere
        self._unrecorded: set[Path] = set()  # entries whose files' ctimes moved, content same

    def key(self, inputs: dict[str, Any]) -> str:
        return sha256_json(inputs)[:32]

    def lookup(self, key: str, search: Sequence[str] = ()) -> tuple[Entry | None, Verdict, str]:
        """A valid entry whose recorded inputs still hold (HIT), or none and why, with what
        changed; ``search``: where imports resolve now (the script's folder first). Corrupt
        entries are removed by the next build of the key, under its lock."""
        self.secure()
        verdicts: dict[Verdict, str] = {}
        for candidate in self._variants(key):
            verdict, why, meta = self._check(candidate, search)
            if verdict is Verdict.HIT and meta is not None:
                self._repair(candidate, meta)
                with contextlib.suppress(OSError):  # a read-only cache still serves
                    os.utime(candidate, follow_symlinks=False)
                return Entry(candidate, meta), verdict, ""
            verdicts.setdefault(verdict, why)
        for reason in (Verdict.CORRUPT, Verdict.FORCED, Verdict.CHANGED):
            if reason in verdicts:
                return None, reason, verdicts[reason]
        return None, Verdict.MISS, ""

    def get_or_build(
        self,
        key: str,
        inputs: dict[str, Any],
        build: Callable[..., Built],
        on_wait: Callable[[], None] = lambda: None,
        search: Sequence[str] = (),
    ) -> tuple[Entry, Verdict]:
        """The entry for ``key`` and the lookup's verdict (HIT when nothing was built).
        ``build(workdir, product, log, verdict, why)`` runs under the key's lock, after a
        second lookup, so that a key is built once however many workers ask for it."""
        entry, verdict, why = self.lookup(key, search)
        if entry:
            return entry, verdict
        try:
            with self._lock(key, on_wait):
                entry, second, _ = self.lookup(key, search)
                if entry:
                    return entry, second
                self._sweep(key)
                make = functools.partial(build, verdict=verdict, why=why)
                built = self._build(key, inputs, make, search)
        except OSError as error:  # a full disk, a read-only cache
            inside = error.filename and Path(os.fsdecode(error.filename)).is_relative_to(self.root)
            if not inside and error.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
                raise BuildError(f"the build failed: {error}; nothing was published") from None
            full = error.errno in (errno.ENOSPC, errno.EDQUOT)
            advice = "Free space, or point" if full else "Point"
            raise BuildError(
                f"cannot write to the build cache {self.root}: {error}; nothing was published. "
                f"{advice} --nuitka-cache-dir (PYTEST_NUITKA_CACHE_DIR) at a folder you can "
                "write"
            ) from None
        if self.max_bytes is not None:
            self.prune(self.max_bytes, grace=PRUNE_GRACE_SECONDS, keep=built.path)
        return built, verdict

    def hold(self, key: str) -> None:
        """Keep ``key``'s entries from being pruned, by any process, until ``release()``: a
        test may look an entry up now and run it minutes later."""
        if key in self._held:
            return
        self.secure()
        try:
            fd = self._open_lock(key, "use")
        except OSError:
            return  # a read-only cache: whoever may prune it can write it, and is not us
        try:
            locks.share(fd)
        except OSError:  # no locks on this file system: nothing to hold
            os.close(fd)
            return
        self._held[key] = fd

    def release(self) -> None:
        """The session is over: its entries may be pruned."""
        for fd in self._held.values():
            os.close(fd)
        self._held.clear()

    @contextlib.contextmanager
    def _claim(self, key: str, ours_too: bool = True) -> Iterator[bool]:
        """Whether no session holds ``key`` (``ours_too``: this one neither); while True,
        none can start to. This session's own hold is set aside only to replace the key's
        variants while building it, which nothing of this session runs meanwhile."""
        own = self._held.get(key)
        if own is not None and ours_too:
            yield False
            return
        try:
            fd = own if own is not None else self._open_lock(key, "use")
        except (OSError, BuildError):
            yield False
            return
        try:
            if not locks.take(fd):  # another holds it
                yield False
                return
            yield True
        finally:
            if own is None:
                os.close(fd)
            else:
                locks.share(fd)  # held again as before

    def secure(self) -> None:
        """Create the cache folders with safe modes whatever the umask, and refuse a cache
        that is not ours alone: before anything is written or locked in it."""
        for parent in reversed(self.root.parents):
            problem = safe_parent(parent)
            if problem:
                raise BuildError(problem)
        self.root.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
        problem = ours(self.root, self.root.stat())
        if problem:
            raise BuildError(problem)
        for folder in (self.base, *(self.base / n for n in FOLDERS)):
            self._folder(folder)

    def _folder(self, folder: Path) -> Path:
        """``folder`` inside the cache, created if need be: ours, not writable by others, and
        not a symbolic link (which would lead writes elsewhere)."""
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=FOLDER_MODE)
        info = folder.lstat()
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
            raise BuildError(
                f"{folder} in the build cache is a symbolic link or not a folder: refused, "
                "nothing inside the cache is followed elsewhere. Remove it"
            )
        problem = ours(folder, info)
        if problem:
            raise BuildError(problem)
        return folder

    def entries(self) -> list[Entry]:
        """Every valid-looking entry, least recently used first."""
        found = []
        for variant in (self.base / "entries").glob("*/*"):
            try:
                if variant.is_symlink():
                    continue
                found.append(Entry(variant, self._meta(variant)))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # unreadable or of another format: a lookup of its key replaces it
        return sorted(found, key=lambda e: e.last_used)

    def leftovers(self) -> list[Leftover]:
        """Kept failures (of builds, of checks) and build scratch, least recently used
        first."""
        found = []
        for kind in Kept:
            for path in self._children(self.base / kind):
                with contextlib.suppress(OSError):
                    found.append(Leftover(path, kind, tree_size(path), path.lstat().st_mtime))
        return sorted(found, key=lambda item: item.last_used)

    def prune(
        self, max_bytes: int, grace: float = 0.0, keep: Path | None = None
    ) -> list[Entry | Leftover]:
        """Remove scratch of builds that are not running, then the least recently used
        entries and kept failures until the cache holds at most ``max_bytes``; whatever was
        used within ``grace`` seconds stays (a running test may need it)."""
        self.secure()
        now = time.time()
        removed: list[Entry | Leftover] = []
        self.busy = []
        for leftover in self.leftovers():
            unfinished = leftover.kind is Kept.TMP or leftover.path.name.startswith(PARTIAL)
            stale = unfinished and now - leftover.last_used >= grace
            if stale and self._not_building(leftover.path):
                self._discard(leftover.path)
                removed.append(leftover)
        items: list[Entry | Leftover] = [*self.entries(), *self.leftovers()]
        items.sort(key=lambda item: item.last_used)
        sizes = {item.path: item.size for item in items}  # before any goes
        total = sum(sizes.values())
        for item in items:
            if total <= max_bytes:
                break
            if item.path == keep or now - item.last_used < grace:
                continue
            if isinstance(item, Leftover) and item.kind is Kept.TMP:
                continue  # a build in progress
            if isinstance(item, Entry):
                with self._claim(item.path.parent.name) as free:
                    if free:
                        self._discard(item.path)
                if not free:
                    self.busy.append(item)
                    continue
            else:
                self._discard(item.path)
            total -= sizes[item.path]
            removed.append(item)
        return removed

    def _not_building(self, scratch: Path) -> bool:
        """Whether nobody holds the lock of the key that ``scratch`` belongs to."""
        key = scratch.name.split(".", 1)[0]
        if key == "trash":
            return True
        try:
            fd = self._open_lock(key)
        except OSError:
            return False
        try:
            return locks.take(fd)
        finally:
            os.close(fd)

    def _build(
        self,
        key: str,
        inputs: dict[str, Any],
        build: Callable[[Path, Path, Path], Built],
        search: Sequence[str],
    ) -> Entry:
        scratch = self.base / Kept.TMP / f"{key}.{uuid.uuid4().hex[:8]}"
        staged, work = scratch / "entry", scratch / "work"
        started = time.monotonic()
        since_ns = time.time_ns()
        try:
            for folder in (scratch, staged, staged / "product", work):
                folder.mkdir(mode=FOLDER_MODE)
            built = build(work, staged / "product", staged / "build.log")
            executable = self._inside(staged / "product", built.executable)
            recorded = footprint.record(built.footprint, search, since_ns)
            make_private(staged)
            meta: EntryMeta = {
                "key": key,
                "inputs": inputs,
                "executable": built.executable,
                "size": executable.stat().st_size,
                "product_size": tree_size(staged / "product"),
                "product": product_record(staged / "product")[0],
                "hashes": product_hashes(staged / "product"),
                "sha256": sha256_file(executable),
                "footprint": recorded,
                "run_id": self.run_id,
                "built_at": time.time(),
                "seconds": round(time.monotonic() - started, 3),
            }
            meta_file = staged / "meta.json"
            meta_file.write_text(json.dumps(meta, indent=1, sort_keys=True))
            meta_file.chmod(0o644)
        except CompileFailed as failure:
            raise BuildError(self._keep_failure(key, scratch, str(failure))) from None
        except (BuildError, OSError):  # said as it is; a full disk keeps nothing more
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        except Exception as error:  # what the compiler left cannot be published: kept
            reason = f"the build could not be published: {type(error).__name__}: {error}"
            raise BuildError(self._keep_failure(key, scratch, reason)) from None
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        variants = self._folder(self.base / "entries" / key)
        final = variants / sha256_json(recorded)[:16]
        # A file edited in the clock tick its record was taken in would keep its ctime: let
        # the coarse clock (1/HZ, at most 10 ms) move on before anyone can reach the entry.
        time.sleep(0.02)
        with self._claim(key, ours_too=False) as free:
            if os.path.lexists(final):  # a stale or corrupt variant of the same inputs
                if free:
                    self._discard(final)
                else:  # another session runs it: publish beside it
                    final = variants / f"{final.name}.{uuid.uuid4().hex[:8]}"
            os.rename(staged, final)
            shutil.rmtree(scratch, ignore_errors=True)
            if free:
                for old in self._variants(key)[KEEP_VARIANTS:]:
                    self._discard(old)
        return Entry(final, meta)

    @staticmethod
    def _inside(product: Path, relative: str) -> Path:
        """The executable, which must be a file inside the product (not a link out of it)."""
        path = Path(os.path.normpath(product / relative))
        if Path(relative).is_absolute() or not path.is_relative_to(product):
            raise ValueError(f"the executable {relative!r} lies outside the entry")
        if not path.is_file() or path.is_symlink():
            raise ValueError(f"the executable {relative!r} is not a file in the entry")
        return path

    def _keep_failure(self, key: str, scratch: Path, reason: str) -> str:
        """Keep this failure's log and build folder for the user; older failures of the key
        go (one per key is enough to debug, and they are big)."""
        for older in self._children(self.base / Kept.FAILED):
            if older.name.startswith(f"{key}."):
                self._discard(older)
        kept = self.base / Kept.FAILED / f"{key}.{time.strftime('%Y%m%dT%H%M%S')}"
        os.rename(scratch, kept)
        return (
            f"{reason}\n\nfull log: {kept / 'entry' / 'build.log'}\n"
            f"build directory kept: {kept / 'work'}"
        )

    @staticmethod
    def _children(folder: Path) -> list[Path]:
        try:
            return sorted(folder.iterdir())
        except OSError:
            return []

    def _variants(self, key: str) -> list[Path]:
        folder = self.base / "entries" / key
        with contextlib.suppress(OSError):
            if not stat.S_ISDIR(folder.lstat().st_mode):  # a link: never followed
                return []
        found = []
        for path in self._children(folder):
            with contextlib.suppress(OSError):
                found.append((path.lstat().st_mtime, path))
        return [path for _, path in sorted(found, reverse=True)]

    @staticmethod
    def _meta(entry: Path) -> EntryMeta:
        """The entry's record; a KeyError or TypeError if a field is missing or mistyped."""
        fd = os.open(entry / "meta.json", os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, encoding="utf-8") as f:
            meta = json.load(f)
        if isinstance(meta, dict) and "product_size" not in meta:  # recorded before sizes were
            meta["product_size"] = tree_size(entry / "product")
        if isinstance(meta, dict):
            meta.setdefault("hashes", {})  # recorded before hashes were: a lookup refuses it
        for field, kind in get_type_hints(EntryMeta).items():
            expected = get_origin(kind) or kind
            if not isinstance(meta[field], (int, float) if expected is float else expected):
                raise TypeError(f"meta.json: {field} is not a {expected.__name__}")
        return cast(EntryMeta, meta)

    def _check(
        self, entry: Path, search: Sequence[str] = ()
    ) -> tuple[Verdict, str, EntryMeta | None]:
        """HIT (or why not), what is wrong, and the entry's record where it could be read."""
        meta = None
        try:
            info = entry.lstat()
            if stat.S_ISLNK(info.st_mode):
                return Verdict.CORRUPT, f"{entry} is a symbolic link", meta
            problem = ours(entry, info)
            if problem:
                return Verdict.CORRUPT, problem, meta
            meta = self._meta(entry)
            problem = self._verify_product(entry / "product", meta)
            if problem:
                return Verdict.CORRUPT, problem, meta
        except (OSError, ValueError, KeyError, TypeError) as error:
            return Verdict.CORRUPT, f"unreadable entry ({error})", meta
        if self.rebuild and meta["run_id"] != self.run_id:
            return Verdict.FORCED, "", meta
        why = footprint.stale(meta["footprint"], search)
        return (Verdict.CHANGED, why, meta) if why else (Verdict.HIT, "", meta)

    def _verify_product(self, product: Path, meta: EntryMeta) -> str | None:
        """Why the product is not what was published, or None: every file, folder and link
        as recorded, none writable by others, the executable inside and unchanged."""
        info = product.lstat()
        if not stat.S_ISDIR(info.st_mode):
            return f"{product} is not a folder"
        problem = ours(product, info)
        if problem:
            return problem
        executable = self._inside(product, meta["executable"])
        expected: dict[str, list[Any]] = meta["product"]
        found, unsafe = product_record(product)
        if unsafe:
            return unsafe
        if found != expected:
            for relative in sorted(expected.keys() ^ found.keys()):
                where = "added to" if relative in found else "missing from"
                return f"{relative} was {where} the product since it was built"
            moved = []  # same size and mtime, another ctime: content decides
            for relative, signature in found.items():
                if signature == expected[relative]:
                    continue
                if signature[:3] != expected[relative][:3] or signature[0] == "link":
                    return f"{relative} in the product changed since it was built"
                if sha256_file(product / relative) != meta["hashes"].get(relative):
                    return (
                        f"{relative} in the product changed since it was built (its size and "
                        "modification time were set back)"
                    )
                moved.append(relative)
            for relative in moved:
                meta["product"][relative] = found[relative]
            if moved:
                self._unrecorded.add(product.parent)
        if sha256_file(executable) != meta["sha256"]:
            return "the executable's content changed since it was built"
        return None

    def _repair(self, entry: Path, meta: EntryMeta) -> None:
        """On a hit: record the new ctimes of files whose content was just found unchanged
        (a hard link made to them and removed, a chmod and back), so the next lookup need not
        read them again."""
        if entry not in self._unrecorded:
            return
        self._unrecorded.discard(entry)
        fresh = entry / f".meta.{uuid.uuid4().hex[:8]}"
        try:
            fresh.write_text(json.dumps(meta, indent=1, sort_keys=True))
            fresh.chmod(0o644)
            os.replace(fresh, entry / "meta.json")
        except OSError:  # a read-only cache: the next lookup reads them again
            with contextlib.suppress(OSError):
                fresh.unlink()

    def _sweep(self, key: str) -> None:
        """Under the key's lock: drop builds of it that were killed, and corrupt entries
        (unless another session holds the key: it may be running one it found whole)."""
        for leftover in self._children(self.base / Kept.TMP):
            if leftover.name.startswith(f"{key}."):
                self._discard(leftover)
        with self._claim(key, ours_too=False) as free:
            if free:
                for variant in self._variants(key):
                    if self._check(variant)[0] is Verdict.CORRUPT:
                        self._discard(variant)

    def _discard(self, path: Path) -> None:
        """Out of sight at once (one rename), deleted after; a link is removed, not followed."""
        if path.is_symlink():
            path.unlink()
            return
        trash = self.base / Kept.TMP / f"trash.{uuid.uuid4().hex[:8]}"
        try:
            os.rename(path, trash)
        except FileNotFoundError:
            return
        shutil.rmtree(trash, ignore_errors=True)

    def _open_lock(self, key: str, kind: str = "lock") -> int:
        """The key's lock file (``lock``: building it; ``use``: running its entries), never
        through a link planted in its place."""
        path = self.base / "locks" / f"{key}.{kind}"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise BuildError(
                    f"{path} is a symbolic link: refused, nothing inside the build cache is "
                    "followed elsewhere. Remove it"
                ) from None
            raise
        problem = ours(path, os.fstat(fd))
        if problem:
            os.close(fd)
            raise BuildError(problem)
        return fd

    @contextlib.contextmanager
    def _lock(self, key: str, on_wait: Callable[[], None]) -> Iterator[None]:
        fd = self._open_lock(key)
        try:
            if not locks.take(fd):
                on_wait()
                locks.take(fd, wait=True)
            yield
        finally:
            os.close(fd)  # releases the lock


def make_private(tree: Path) -> None:
    """Drop group and other write permission from everything under ``tree``: what the
    compiler wrote under the user's umask (002 on many desktops) must not be refused later."""
    for folder, dirs, files in os.walk(tree):
        for name in [*dirs, *files]:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            if not stat.S_ISLNK(info.st_mode) and info.st_mode & UNSAFE_BITS:
                os.chmod(path, stat.S_IMODE(info.st_mode) & ~UNSAFE_BITS)
    info = tree.lstat()
    if info.st_mode & UNSAFE_BITS:
        tree.chmod(stat.S_IMODE(info.st_mode) & ~UNSAFE_BITS)
