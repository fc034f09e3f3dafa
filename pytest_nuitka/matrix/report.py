"""Merge the result files of matrix cells into one table: cases down, cells across.

    python -m pytest_nuitka.matrix.report results/*.json --markdown report.md --html report.html

Prints the Markdown (for a CI job summary); the HTML page stands alone, coloured, with each
failure's or known issue's message a click away.
"""

from __future__ import annotations

import argparse
import html
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SYMBOLS = {
    "passed": "pass",
    "failed": "FAIL",
    "xfailed": "known issue",
    "xpassed": "xpass",
    "skipped": "skip",
}
EMOJI = {"passed": "✅", "failed": "❌", "xfailed": "⚠️", "xpassed": "❔", "skipped": "⏭️"}


@dataclass(frozen=True)
class Matrix:
    cells: list[str]
    versions: dict[str, dict[str, str]]
    rows: list[str]
    results: dict[tuple[str, str], dict[str, Any]]  # (row, cell) -> result

    def counts(self, cell: str) -> dict[str, int]:
        found: dict[str, int] = {}
        for (_, column), result in self.results.items():
            if column == cell:
                found[result["outcome"]] = found.get(result["outcome"], 0) + 1
        return found


def load(paths: Sequence[Path]) -> Matrix:
    cells, versions, rows, results = [], {}, [], {}
    for path in paths:
        data = json.loads(path.read_text())
        cell = data["cell"]
        if cell not in cells:
            cells.append(cell)
        versions[cell] = data["versions"]
        for result in data["results"]:
            row = result["nodeid"]
            if row not in rows:
                rows.append(row)
            results[row, cell] = result
    return Matrix(cells, versions, sorted(rows, key=row_order), results)


def row_label(nodeid: str) -> str:
    """``keras_classifier · run:predict`` for a zoo check, else the node id."""
    path, _, name = nodeid.partition("::")
    if path.endswith("/nuitka-case.toml"):
        return f"{Path(path).parent.name} · {name}"
    return nodeid


def row_order(nodeid: str) -> tuple[str, int, str]:
    """By file, then a zoo case's checks in reading order: runs, baselines, round-trips."""
    path, _, name = nodeid.partition("::")
    kind = name.split(":", 1)[0]
    return path, {"run": 0, "baseline": 1, "roundtrip": 2}.get(kind, 3), name


def grid(
    matrix: Matrix, render: Callable[[dict[str, Any]], str], empty: str
) -> Iterator[tuple[str, list[str]]]:
    """Each row with its cells rendered, ``empty`` where a cell did not run the check."""
    for row in matrix.rows:
        results = [matrix.results.get((row, cell)) for cell in matrix.cells]
        yield row, [empty if result is None else render(result) for result in results]


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """The lines of a Markdown table (the matrix, the benchmark and the corpus print one)."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]


def markdown(matrix: Matrix) -> str:
    notes: dict[str, int] = {}

    def render(result: dict[str, Any]) -> str:
        text = f"{EMOJI[result['outcome']]} {SYMBOLS[result['outcome']]}"
        if result["outcome"] in ("failed", "xfailed", "xpassed"):
            note = notes.setdefault(first_line(result["message"]), len(notes) + 1)
            text += f" [{note}]"
        return text + "".join(f" `{name}`" for name in result.get("known_issues", []))

    rows = [[f"`{row_label(row)}`", *cells] for row, cells in grid(matrix, render, "")]
    totals = ["**totals**", *(totals_text(matrix, c) for c in matrix.cells)]
    lines = markdown_table(["check", *matrix.cells], [*rows, totals])
    lines.append("")
    lines += [f"[{n}] {message}" for message, n in notes.items()]
    return "\n".join(lines) + "\n"


def first_line(message: str) -> str:
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return (lines[0] if lines else "")[:300]


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pytest-nuitka compatibility matrix</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; font-size: 14px; }}
th {{ background: #f3f3f3; }} tbody th {{ text-align: left; }}
td.passed {{ background: #d8f5d0; }} td.failed {{ background: #f8c9c4; }}
td.xfailed {{ background: #fde9b6; }} td.xpassed {{ background: #e4d7f5; }}
td.skipped {{ background: #eeeeee; color: #555; }}
pre {{ white-space: pre-wrap; max-width: 60em; font-size: 12px; }}
code {{ font-size: 13px; }}
</style></head><body>
<h1>Compiled vs script: compatibility matrix</h1>
<table>
<thead><tr><th>check</th>{head}</tr></thead>
<tbody>
{body}
</tbody></table>
</body></html>
"""


def html_page(matrix: Matrix) -> str:
    head = "".join(
        f'<th title="{html.escape(json.dumps(matrix.versions[c]))}">{html.escape(c)}</th>'
        for c in matrix.cells
    )

    def render(result: dict[str, Any]) -> str:
        outcome = result["outcome"]
        label = html.escape(SYMBOLS[outcome])
        label += "".join(f" <code>{html.escape(n)}</code>" for n in result.get("known_issues", []))
        if result["message"]:
            label = (
                f"<details><summary>{label}</summary>"
                f"<pre>{html.escape(result['message'])}</pre></details>"
            )
        return f'<td class="{outcome}">{label}</td>'

    body = [
        f'<tr><th title="{html.escape(row)}"><code>{html.escape(row_label(row))}</code></th>'
        f"{''.join(cells)}</tr>"
        for row, cells in grid(matrix, render, "<td></td>")
    ]
    totals = "".join(f"<td>{html.escape(totals_text(matrix, c))}</td>" for c in matrix.cells)
    body.append(f"<tr><th>totals</th>{totals}</tr>")
    return PAGE.format(head=head, body="\n".join(body))


def totals_text(matrix: Matrix, cell: str) -> str:
    return ", ".join(f"{n} {SYMBOLS[k]}" for k, n in sorted(matrix.counts(cell).items()))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_nuitka.matrix.report", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("results", nargs="+", type=Path, help="result files (--nuitka-results)")
    parser.add_argument("--markdown", type=Path, help="also write the Markdown here")
    parser.add_argument("--html", type=Path, help="write the HTML page here")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.results if not p.is_file()]
    if missing:
        parser.error("no such result file: " + ", ".join(missing))
    matrix = load(args.results)
    text = markdown(matrix)
    sys.stdout.write(text)
    if args.markdown:
        args.markdown.write_text(text)
    if args.html:
        args.html.write_text(html_page(matrix))
    return 1 if any(r["outcome"] in ("failed", "xpassed") for r in matrix.results.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
