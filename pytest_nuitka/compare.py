"""Script vs binary: one check per kind of data, each returning the differences it found.

A difference carries a ready-to-print table, in the manner of pytest-regressions: per
output, how many elements differ and the worst of them.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .runs import Run

WORST = 5
STDERR_TAIL = 15
Tolerance = float | Mapping[str, float]


@dataclass(frozen=True)
class Difference:
    title: str
    detail: str


# A comparator sees one named output of each side and the tolerances for that name.
Comparator = Callable[[str, Any, Any, float, float], "Difference | None"]


def tolerance_for(spec: Tolerance, name: str) -> float:
    if isinstance(spec, Mapping):
        return float(spec.get(name, 0.0))
    return float(spec)


def table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    return "\n".join(
        "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )


def check_exit(script: Run, binary: Run) -> list[Difference]:
    found = []
    if (script.returncode, script.timed_out) != (binary.returncode, binary.timed_out):
        found.append(Difference("exit", f"  script: {script.status}\n  binary: {binary.status}"))
    if not script.ok and script.exception != binary.exception:
        found.append(
            Difference(
                "exception",
                f"  script: {script.exception or '(no traceback)'}\n"
                f"  binary: {binary.exception or '(no traceback)'}",
            )
        )
    return found


def check_stdout(script: Run, binary: Run) -> list[Difference]:
    if script.stdout == binary.stdout:
        return []
    diff = difflib.unified_diff(
        script.stdout.splitlines(),
        binary.stdout.splitlines(),
        "script stdout",
        "binary stdout",
        lineterm="",
        n=2,
    )
    return [Difference("stdout (normalised)", "\n".join("  " + line for line in diff))]


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


def compare_equal(
    name: str, script: Any, binary: Any, rtol: float, atol: float
) -> Difference | None:
    if type(script) is type(binary) and script == binary:
        return None
    return Difference(name, f"  script: {script!r:.300}\n  binary: {binary!r:.300}")


def default_comparator(value: Any) -> Comparator:
    return compare_array if isinstance(value, np.ndarray) else compare_equal


def check_outputs(
    script: Run,
    binary: Run,
    rtol: Tolerance = 0.0,
    atol: Tolerance = 0.0,
    comparators: Mapping[str, Comparator] | None = None,
) -> list[Difference]:
    found = []
    missing = sorted(script.outputs.keys() ^ binary.outputs.keys())
    if missing:
        rows = [
            [n, "yes" if n in script.outputs else "-", "yes" if n in binary.outputs else "-"]
            for n in missing
        ]
        found.append(
            Difference(
                "outputs",
                "  emitted by one side only:\n" + table(["name", "script", "binary"], rows),
            )
        )
    for name in sorted(script.outputs.keys() & binary.outputs.keys()):
        left = script.outputs[name]
        compare = (comparators or {}).get(name) or default_comparator(left)
        difference = compare(
            name, left, binary.outputs[name], tolerance_for(rtol, name), tolerance_for(atol, name)
        )
        if difference:
            found.append(difference)
    return found


def check_argmax(
    script: Run, binary: Run, names: Iterable[str], axis: int = -1
) -> list[Difference]:
    found = []
    for name in names:
        if name not in script.outputs or name not in binary.outputs:
            found.append(
                Difference(
                    f"argmax({name})",
                    "  not emitted by "
                    + " and ".join(r.side for r in (script, binary) if name not in r.outputs),
                )
            )
            continue
        a, b = np.asarray(script.outputs[name]), np.asarray(binary.outputs[name])
        if a.shape != b.shape:
            continue  # check_outputs names the shape difference
        left, right = np.atleast_1d(a.argmax(axis)), np.atleast_1d(b.argmax(axis))
        rows = [[i, int(left[i]), int(right[i])] for i in np.argwhere(left != right)[:, 0]]
        if rows:
            found.append(
                Difference(
                    f"argmax({name})",
                    f"  {len(rows)} of {left.size} rows disagree:\n"
                    + table(["row", "script", "binary"], rows[:WORST]),
                )
            )
    return found


def render(title: str, differences: list[Difference], *runs: Run, notes: Sequence[str] = ()) -> str:
    """The failure message: a title, notes (known issues), one table per difference, then
    each run's stderr tail."""
    lines = [title]
    for note in notes:
        lines += ["", note]
    for difference in differences:
        lines += ["", f"[{difference.title}]", difference.detail]
    for run in runs:
        tail = run.stderr.rstrip().splitlines()[-STDERR_TAIL:]
        lines += [
            "",
            f"[{run.side} stderr, last {len(tail)} lines; {run.status}; cwd {run.cwd}]",
            *("  " + line for line in tail),
        ]
        if run.dropped_bytes:
            lines.append(
                f"  ({run.dropped_bytes} bytes of output past the capture limit were dropped)"
            )
    return "\n".join(lines)
