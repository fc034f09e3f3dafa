"""Script outputs of a reference cell, committed per case and run, held against every cell.

``baselines/<run>.npz`` keeps the arrays; ``baselines/<run>.json`` says which cell wrote them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from pytest_nuitka.build.environment import HEADER_DISTRIBUTIONS, HEADER_ENV_VARS, version_of
from pytest_nuitka.check.compare import Difference, compare_array


def cell(env: Mapping[str, str]) -> dict[str, str]:
    """The matrix cell: Python, framework versions and the variables that switch Keras."""
    found = {"python": sys.version.split()[0]}
    found.update({name: version_of(name) or "-" for name in HEADER_DISTRIBUTIONS})
    found.update({name: env.get(name, "-") for name in HEADER_ENV_VARS})
    return found


def paths(folder: Path, run: str) -> tuple[Path, Path]:
    return folder / "baselines" / f"{run}.npz", folder / "baselines" / f"{run}.json"


def write(
    folder: Path, run: str, outputs: Mapping[str, Any], names: Iterable[str], env: Mapping[str, str]
) -> Path:
    arrays, about = paths(folder, run)
    arrays.parent.mkdir(exist_ok=True)
    chosen = {name: np.asarray(outputs[name]) for name in names}
    np.savez(arrays, allow_pickle=False, **chosen)
    about.write_text(json.dumps({"cell": cell(env), "outputs": sorted(chosen)}, indent=1) + "\n")
    return arrays


def compare(
    folder: Path,
    run: str,
    outputs: Mapping[str, Any],
    names: Iterable[str],
    rtol: float,
    atol: float,
    argmax: Iterable[str],
) -> list[Difference]:
    arrays, about = paths(folder, run)
    reference_cell = json.loads(about.read_text())["cell"]
    found = []
    with np.load(arrays, allow_pickle=False) as stored:
        for name in names:
            if name not in outputs or name not in stored.files:
                where = "run" if name not in outputs else "baseline"
                found.append(Difference(name, f"  missing from the {where}"))
                continue
            actual = np.asarray(outputs[name])
            expected = stored[name]
            difference = compare_array(
                name, expected, actual, rtol, atol, ("baseline", "this cell")
            )
            if difference:
                found.append(difference)
            if (
                name in argmax
                and expected.shape == actual.shape
                and not np.array_equal(expected.argmax(-1), actual.argmax(-1))
            ):
                found.append(
                    Difference(
                        f"argmax({name})",
                        f"  baseline {expected.argmax(-1)}\n  this cell {actual.argmax(-1)}",
                    )
                )
    if found:
        found.append(
            Difference(
                "baseline cell", "  " + ", ".join(f"{k} {v}" for k, v in reference_cell.items())
            )
        )
    return found
