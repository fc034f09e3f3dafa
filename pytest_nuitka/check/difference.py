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
    after = [_passing(a[differs], b[differs])] if numeric and a.dtype.kind != "c" else []
    if a.dtype.kind in "iuf" and a.ndim and a.shape[-1] > 1:
        after.append(_argmax(a, b))
    return Difference(
        name,
        f"  {count} of {a.size} elements differ ({rule}); worst {len(rows)}:\n"
        + table(["index", *labels, "|diff|", "rel"], rows)
        + "".join(f"\n  {line}" for line in after),
    )


def _up(value: float) -> str:
    """``value`` in two significant digits, rounded up: a tolerance printed so passes."""
    shown = f"{value:.1e}"
    if float(shown) < value:
        mantissa, _, exponent = shown.partition("e")
        shown = f"{float(mantissa) + 0.1:.1f}e{exponent}"
    return f"{float(shown):g}"


def _passing(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> str:
    """The smallest tolerance with which ``numpy.isclose(script, binary)`` would hold where
    they differ, each alone (|script - binary| <= atol + rtol * |binary|): what accepting the
    drift costs."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    both_nan = np.isnan(a) & np.isnan(b)
    a, b = a[~both_nan], b[~both_nan]
    gap = np.abs(b - a)
    if not np.isfinite(gap).all():
        return "no tolerance passes: a value is NaN or infinite on one side only"
    moved = gap > 0
    if not moved.any():
        return "equal as numbers (only the bits differ: 0.0 and -0.0, NaNs): any tolerance passes"
    atol = _up(float(gap.max()))
    if (moved & (b == 0)).any():
        return f"passes with atol={atol} (rtol=0); no rtol alone (a binary value is 0)"
    rtol = _up(float((gap[moved] / np.abs(b[moved])).max()))
    return f"passes with atol={atol} (rtol=0) or rtol={rtol} (atol=0; of the binary's)"


def _argmax(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> str:
    """Whether the prediction a drift could change, the argmax over the last axis, holds."""
    rows = a.size // a.shape[-1]
    moved = int((np.argmax(a, axis=-1) != np.argmax(b, axis=-1)).sum())
    if not moved:
        return f"argmax over the last axis still agrees in all {rows} row(s)"
    return f"argmax over the last axis differs in {moved} of {rows} row(s)"


def _bitwise_differs(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    size = a.dtype.itemsize
    left = np.ascontiguousarray(a).reshape(-1).view(np.uint8).reshape(a.size, size)
    right = np.ascontiguousarray(b).reshape(-1).view(np.uint8).reshape(b.size, size)
    return (left != right).any(axis=1).reshape(a.shape)  # type: ignore[no-any-return]
