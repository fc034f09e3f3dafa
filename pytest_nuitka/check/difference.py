"""What every check returns: a named difference whose detail is a ready-to-print table of
the worst elements, in the manner of pytest-regressions; and the comparison of two arrays that
most checks come down to."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pytest_nuitka.base.errors import printable

WORST = 5  # rows shown per table
Tolerance = float | Mapping[str, float]


@dataclass(frozen=True)
class Difference:
    """``files``: what shows the difference better than text (an image comparator's diff
    image), by file name; written beside the runs' folders when the check fails, kept with
    them, and named in the message (``diagnose.fail``)."""

    title: str
    detail: str
    files: Mapping[str, bytes] = field(default_factory=dict, compare=False, repr=False)


# A comparator sees one named output of each side and the tolerances for that name.
Comparator = Callable[[str, Any, Any, float, float], "Difference | None"]


def tolerance_for(spec: Tolerance, name: str) -> float:
    if isinstance(spec, Mapping):
        return float(spec.get(name, 0.0))
    return float(spec)


def table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """Columns aligned as a terminal shows them: a name that is not UTF-8 as ``\\xff``, a
    Chinese character two columns wide."""
    cells = [
        [printable(str(c)) for c in header],
        *[[printable(str(c)) for c in row] for row in rows],
    ]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(cells[0]))]
    return "\n".join(
        "  "
        + "  ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def compare_array(
    name: str,
    script: Any,
    binary: Any,
    rtol: float,
    atol: float,
    labels: tuple[str, str] = ("script", "binary"),
) -> Difference | None:
    """``labels`` name the two sides in the table."""
    a, b = np.asarray(script), np.asarray(binary)
    if a.shape != b.shape or a.dtype != b.dtype:
        return Difference(
            name, f"  {labels[0]}: {a.dtype} {a.shape}\n  {labels[1]}: {b.dtype} {b.shape}"
        )
    numeric = a.dtype.kind in "biufc"
    if (rtol == 0 and atol == 0) or not numeric:
        differs = _bitwise_differs(a, b)
        rule = "bit-identical"
    else:
        differs = ~np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
        rule = f"rtol={rtol:g}, atol={atol:g}"
    count = int(differs.sum())
    if not count:
        return None
    where = np.argwhere(differs)
    if numeric:
        gap = np.abs(
            b.astype(np.complex128 if a.dtype.kind == "c" else np.float64)
            - a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)
        )
        gaps = gap[differs]
        order = np.argsort(-np.nan_to_num(gaps, nan=np.inf), kind="stable")[:WORST]
    else:
        gaps, order = np.zeros(count), np.arange(min(count, WORST))
    rows = []
    for i in order:
        index = tuple(int(x) for x in where[i])
        sv, bv = a[index], b[index]
        rel = gaps[i] / abs(sv) if numeric and sv != 0 else float("nan")
        rows.append(
            [index, sv, bv, f"{gaps[i]:.3g}" if numeric else "", f"{rel:.3g}" if numeric else ""]
        )
    return Difference(
        name,
        f"  {count} of {a.size} elements differ ({rule}); worst {len(rows)}:\n"
        + table(["index", *labels, "|diff|", "rel"], rows),
    )


def _bitwise_differs(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    size = a.dtype.itemsize
    left = np.ascontiguousarray(a).reshape(-1).view(np.uint8).reshape(a.size, size)
    right = np.ascontiguousarray(b).reshape(-1).view(np.uint8).reshape(b.size, size)
    return (left != right).any(axis=1).reshape(a.shape)  # type: ignore[no-any-return]
