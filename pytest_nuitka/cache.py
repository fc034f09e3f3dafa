"""Content-addressed store of built binaries, shared by tests, sessions and xdist workers.

Layout under ``<root>/v1``::

    entries/<key>/<sources-hash>/   meta.json, build.log, product/   (published, immutable)
    locks/<key>.lock                                                 (flock per key)
    tmp/<key>.<nonce>/              entry/, work/                    (a build in progress)
    failed/<key>.<time>/            entry/build.log, work/           (kept for the user)

An entry appears only through one rename once its meta.json is written, so a killed build
leaves nothing that a lookup accepts; the per-key lock makes N workers build a key once.
A hit touches the entry, so that pruning to a size limit removes the least recently used.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import shutil
import stat
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .compilers import Built, CompileFailed
from .errors import BuildError

FORMAT = "v1"
KEEP_VARIANTS = 3  # source revisions kept per key, newest first
# A build prunes only entries unused for this long: another worker may be running them.
PRUNE_GRACE_SECONDS = 3600.0


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_tree(path: Path) -> str:
    """Hash of a file, or of a folder's relative names and contents."""
    if path.is_file():
        return sha256_file(path)
    digest = hashlib.sha256()
    for item in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(f"{item.relative_to(path).as_posix()}\0{sha256_file(item)}\0".encode())
    return digest.hexdigest()


def tree_size(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_symlink() and p.is_file())


def sha256_json(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    path: Path
    meta: dict[str, Any]

    @property
    def executable(self) -> Path:
        return self.path / "product" / str(self.meta["executable"])

    @functools.cached_property
    def size(self) -> int:
        """Bytes on disk of the product (a dist can be gigabytes); read once, so it stays
        known after the entry is removed."""
        if "product_size" in self.meta:
            return int(self.meta["product_size"])
        return tree_size(self.path / "product")

    @property
    def last_used(self) -> float:
        return self.path.stat().st_mtime


class BuildCache:
    def __init__(
        self, root: Path, run_id: str, rebuild: bool, max_bytes: int | None = None
    ) -> None:
        self.root = root
        self.base = root / FORMAT
        self.run_id = run_id
        self.rebuild = rebuild
        self.max_bytes = max_bytes

    def key(self, inputs: dict[str, Any]) -> str:
        return sha256_json(inputs)[:32]

    def lookup(self, key: str) -> tuple[Entry | None, str]:
        """A valid entry whose local sources still match, and why not if none: 'hit', 'miss',
        'changed' (sources edited), 'forced' (--nuitka-rebuild) or 'corrupt'. Corrupt
        entries are removed by the next build of the key, under its lock."""
        verdicts = []
        for candidate in self._variants(key):
            verdict = self._check(candidate)
            if verdict == "ok":
                self._refuse_shared(candidate)
                with contextlib.suppress(OSError):  # a read-only cache still serves
                    os.utime(candidate)
                return Entry(candidate, self._meta(candidate)), "hit"
            verdicts.append(verdict)
        for reason in ("corrupt", "forced", "changed"):
            if reason in verdicts:
                return None, reason
        return None, "miss"

    def get_or_build(
        self,
        key: str,
        inputs: dict[str, Any],
        build: Callable[..., Built],
        on_wait: Callable[[], None] = lambda: None,
    ) -> tuple[Entry, str]:
        """The entry for ``key`` and the lookup's verdict ('hit' when nothing was built).
        ``build(workdir, product, log, verdict)`` runs under the key's lock, after a second lookup,
        so that a key is built once however many workers ask for it."""
        entry, verdict = self.lookup(key)
        if entry:
            return entry, verdict
        try:
            with self._lock(key, on_wait):
                entry, second = self.lookup(key)
                if entry:
                    return entry, second
                self._sweep(key)
                built = self._build(key, inputs, functools.partial(build, verdict=verdict))
        except OSError as error:  # a full disk, a read-only cache
            raise BuildError(
                f"cannot write to the build cache {self.root}: {error}; nothing was published. "
                "Free space, or point --nuitka-cache-dir (PYTEST_NUITKA_CACHE_DIR) elsewhere"
            ) from None
        if self.max_bytes is not None:
            self.prune(self.max_bytes, grace=PRUNE_GRACE_SECONDS, keep=built.path)
        return built, verdict

    def entries(self) -> list[Entry]:
        """Every valid-looking entry, least recently used first."""
        found = []
        for variant in (self.base / "entries").glob("*/*"):
            try:
                found.append(Entry(variant, self._meta(variant)))
            except (OSError, ValueError):
                continue
        return sorted(found, key=lambda e: e.last_used)

    def prune(self, max_bytes: int, grace: float = 0.0, keep: Path | None = None) -> list[Entry]:
        """Remove least recently used entries until the cache holds at most ``max_bytes``;
        entries used within ``grace`` seconds stay (a running test may need them)."""
        entries = self.entries()
        sizes = {e.path: e.size for e in entries}  # before any goes: sizes are read from disk
        total = sum(sizes.values())
        removed = []
        now = time.time()
        for entry in entries:
            if total <= max_bytes:
                break
            if entry.path == keep or now - entry.last_used < grace:
                continue
            self._discard(entry.path)
            total -= sizes[entry.path]
            removed.append(entry)
        return removed

    def _build(
        self, key: str, inputs: dict[str, Any], build: Callable[[Path, Path, Path], Built]
    ) -> Entry:
        scratch = self.base / "tmp" / f"{key}.{uuid.uuid4().hex[:8]}"
        staged, work = scratch / "entry", scratch / "work"
        started = time.monotonic()
        try:
            for folder in (staged / "product", work):
                folder.mkdir(parents=True)
            built = build(work, staged / "product", staged / "build.log")
            executable = staged / "product" / built.executable
            meta = {
                "key": key,
                "inputs": inputs,
                "executable": built.executable,
                "size": executable.stat().st_size,
                "product_size": tree_size(staged / "product"),
                "sha256": sha256_file(executable),
                "sources": {str(p): sha256_file(p) for p in built.sources},
                "run_id": self.run_id,
                "built_at": time.time(),
                "seconds": round(time.monotonic() - started, 3),
            }
            (staged / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
        except CompileFailed as failure:
            raise BuildError(self._keep_failure(key, scratch, str(failure))) from None
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        final = self.base / "entries" / key / sha256_json(meta["sources"])[:16]
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():  # a stale or corrupt variant of the same sources
            self._discard(final)
        os.rename(staged, final)
        shutil.rmtree(scratch, ignore_errors=True)
        for old in self._variants(key)[KEEP_VARIANTS:]:
            self._discard(old)
        self._refuse_shared(final)
        return Entry(final, meta)

    def _refuse_shared(self, entry: Path) -> None:
        """A binary is run from here: nobody else may be able to swap it."""
        for folder in (self.root, self.base, entry.parent.parent, entry.parent, entry):
            info = folder.stat()
            if info.st_uid != os.getuid() or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                raise BuildError(
                    f"the build cache folder {folder} is writable by other users (mode "
                    f"{stat.filemode(info.st_mode)}, owner uid {info.st_uid}): anyone could "
                    "replace a binary before it runs, so none is run from it. "
                    f"Run chmod go-w {folder} or use a private --nuitka-cache-dir"
                )

    def _keep_failure(self, key: str, scratch: Path, reason: str) -> str:
        kept = self.base / "failed" / f"{key}.{time.strftime('%Y%m%dT%H%M%S')}"
        kept.parent.mkdir(parents=True, exist_ok=True)
        os.rename(scratch, kept)
        return (
            f"{reason}\n\nfull log: {kept / 'entry' / 'build.log'}\n"
            f"build directory kept: {kept / 'work'}"
        )

    def _variants(self, key: str) -> list[Path]:
        folder = self.base / "entries" / key
        if not folder.is_dir():
            return []
        return sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)

    @staticmethod
    def _meta(entry: Path) -> dict[str, Any]:
        meta: dict[str, Any] = json.loads((entry / "meta.json").read_text())
        return meta

    def _check(self, entry: Path) -> str:
        """'ok', 'changed', 'forced' or 'corrupt'."""
        try:
            meta = self._meta(entry)
            executable = entry / "product" / meta["executable"]
            if (
                executable.stat().st_size != meta["size"]
                or sha256_file(executable) != meta["sha256"]
            ):
                return "corrupt"
            sources: dict[str, str] = meta["sources"]
        except (OSError, ValueError, KeyError, TypeError):
            return "corrupt"
        if self.rebuild and meta.get("run_id") != self.run_id:
            return "forced"
        for path, digest in sources.items():
            try:
                if sha256_file(Path(path)) != digest:
                    return "changed"
            except OSError:
                return "changed"
        return "ok"

    def _sweep(self, key: str) -> None:
        """Under the key's lock: drop builds of it that were killed, and corrupt entries."""
        for leftover in (self.base / "tmp").glob(f"{key}.*"):
            shutil.rmtree(leftover, ignore_errors=True)
        for variant in self._variants(key):
            if self._check(variant) == "corrupt":
                self._discard(variant)

    def _discard(self, entry: Path) -> None:
        trash = self.base / "tmp" / f"trash.{uuid.uuid4().hex[:8]}"
        trash.parent.mkdir(parents=True, exist_ok=True)
        os.rename(entry, trash)  # out of sight at once, deleted after
        shutil.rmtree(trash, ignore_errors=True)

    @contextlib.contextmanager
    def _lock(self, key: str, on_wait: Callable[[], None]) -> Iterator[None]:
        path = self.base / "locks" / f"{key}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                on_wait()
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
