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

from pytest_nuitka.base.environment import HEADER_DISTRIBUTIONS, HEADER_ENV_VARS, version_of
from pytest_nuitka.check.compare import argmax_difference, compare_outputs
from pytest_nuitka.check.difference import Difference


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
    """The committed arrays against this cell's, with compare_outputs' tables."""
    arrays, about = paths(folder, run)
    reference_cell = json.loads(about.read_text())["cell"]
    wanted = list(names)
    with np.load(arrays, allow_pickle=False) as stored:
        expected = {name: stored[name] for name in wanted if name in stored.files}
    actual = {name: np.asarray(outputs[name]) for name in wanted if name in outputs}
    labels = ("baseline", "this cell")
    found = [
        Difference(name, "  missing from the baseline and from the run")
        for name in wanted
        if name not in expected and name not in actual
    ]
    found += compare_outputs(expected, actual, rtol, atol, labels=labels)
    for name in argmax:
        if name in expected and name in actual:
            difference = argmax_difference(name, expected[name], actual[name], labels=labels)
            if difference:
                found.append(difference)
    if found:
        found.append(
            Difference(
                "baseline cell", "  " + ", ".join(f"{k} {v}" for k, v in reference_cell.items())
            )
        )
    return found
