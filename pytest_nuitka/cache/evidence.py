"""Keep what a failed check shows (its runs' folders: working directory, outputs, stdout and
stderr, runtime record; the round-trip's artifacts) beyond pytest's basetemp, which later
sessions delete: in the build cache's ``evidence/`` folder, bounded with the cache
(``--nuitka-cache-size``, ``python -m pytest_nuitka.cache --prune``)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from pytest_nuitka.base.errors import printable
from pytest_nuitka.cache.local import PARTIAL

PER_TEST = 3  # the newest failures of each test are kept, as pytest keeps three basetemps
MESSAGE = "failure.txt"


def slug(nodeid: str) -> str:
    """A folder name for the test: readable, and distinct for ids that read alike."""
    readable = re.sub(r"[^A-Za-z0-9_.=-]+", "_", nodeid).strip("_")[-80:]
    return f"{readable}-{hashlib.sha256(nodeid.encode()).hexdigest()[:8]}"


def keep(root: Path, nodeid: str, folders: Sequence[Path], message: str) -> tuple[Path, str]:
    """Copy ``folders`` into a new folder under ``root``; the message with their paths
    pointing at the copies (written beside them too), and where it all lies. What cannot be
    copied (a socket, a FIFO, an unreadable file) is named in the message, not fatal."""
    name = slug(nodeid)
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{time.time_ns() % 10**9:09d}"
    final = root / f"{stamp}-{name}"
    partial = root / f"{PARTIAL}{final.name}"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial.mkdir(mode=0o700)
    skipped: list[str] = []
    for folder in folders:
        if folder.is_dir():
            copy = partial / folder.name
            try:
                shutil.copytree(folder, copy, symlinks=True, ignore=_special(skipped))
            except shutil.Error as error:
                skipped += [f"{source}: {why}" for source, _, why in error.args[0]]
            message = message.replace(str(folder), str(final / folder.name))
    if skipped:
        message += "\n\nnot kept (not regular files, or unreadable):\n" + "\n".join(
            f"  {item}" for item in skipped
        )
    (partial / MESSAGE).write_text(printable(f"{nodeid}\n\n{message}\n"), encoding="utf-8")
    partial.rename(final)
    older = sorted(
        p
        for p in root.glob(f"*-{name}")
        if not p.name.startswith(PARTIAL) and p.is_dir() and not p.is_symlink()
    )
    for stale in older[:-PER_TEST]:
        shutil.rmtree(stale, ignore_errors=True)
    return final, message


def _special(skipped: list[str]) -> Callable[[str, list[str]], set[str]]:
    def ignore(directory: str, names: list[str]) -> set[str]:
        found = set()
        for entry in names:
            path = os.path.join(directory, entry)
            mode = os.lstat(path).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
                found.add(entry)
                skipped.append(f"{path}: {_kind(mode)}")
        return found

    return ignore


def _kind(mode: int) -> str:
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    return "a device or special file"
