"""Keep what a failed check shows (its runs' folders, logs and artifacts) beyond pytest's
basetemp, which later sessions delete: in the build cache's ``evidence/`` folder, bounded with
the cache (``--nuitka-cache-size``, ``python -m pytest_nuitka.cachetool --prune``)."""

from __future__ import annotations

import re
import shutil
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

PER_TEST = 3  # the newest failures of each test are kept, as pytest keeps three basetemps
MESSAGE = "failure.txt"


def slug(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", nodeid).strip("_")[-120:]


def keep(root: Path, nodeid: str, folders: Sequence[Path], message: str) -> tuple[Path, str]:
    """Copy ``folders`` into a new folder under ``root``; the message with their paths
    pointing at the copies (written beside them too), and where it all lies."""
    name = slug(nodeid)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = root / f"{stamp}-{uuid.uuid4().hex[:6]}-{name}"
    target.mkdir(mode=0o700)
    for folder in folders:
        if folder.is_dir():
            copy = target / folder.name
            shutil.copytree(folder, copy, symlinks=True, dirs_exist_ok=True)
            message = message.replace(str(folder), str(copy))
    (target / MESSAGE).write_text(f"{nodeid}\n\n{message}\n", encoding="utf-8")
    older = sorted(p for p in root.glob(f"*-{name}") if p.is_dir() and p.name.endswith(name))
    for stale in older[:-PER_TEST]:
        shutil.rmtree(stale, ignore_errors=True)
    return target, message
