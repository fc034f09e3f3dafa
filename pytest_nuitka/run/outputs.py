"""Read what a run left in its output directory: the emitter's files, or an app's own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


def load_outputs(folder: Path) -> dict[str, Any]:
    """Name -> value. ``x.npy`` and ``x.json`` are named ``x``; each array of ``x.npz`` is
    ``x/<array>``; any other file keeps its relative path as its name and is read as text
    (or bytes when it is not UTF-8), as is a file that is not what its suffix says."""
    found: dict[str, Any] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        try:
            if path.suffix == ".npy":
                found[name[:-4]] = np.load(path, allow_pickle=False)
                continue
            if path.suffix == ".npz":
                with np.load(path, allow_pickle=False) as archive:
                    found.update({f"{name[:-4]}/{key}": archive[key] for key in archive.files})
                continue
            if path.suffix == ".json":
                found[name[:-5]] = json.loads(path.read_text(encoding="utf-8"))
                continue
        except Exception:  # not what its suffix says (a cut .npz, JSON that is not): as bytes
            pass
        raw = path.read_bytes()
        try:
            found[name] = raw.decode("utf-8")
        except UnicodeDecodeError:
            found[name] = raw
    return found
