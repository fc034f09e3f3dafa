"""Merge the result files of matrix cells into one table: cases down, cells across.

    python -m pytest_nuitka.matrix.report results/*.json --markdown report.md --html report.html

Each column says the versions its cell really had, grouped by Nuitka release; each case is one
row that opens into its checks; the report says when and from which commit it was made.
Prints the Markdown (for a CI job summary); the HTML page stands alone, coloured, with each
failure's or known issue's message a click away.
"""

from __future__ import annotations

import argparse
import datetime
import html
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from pytest_nuitka.base.environment import commit_of

SYMBOLS = {
    "passed": "pass",
    "failed": "FAIL",
    "xfailed": "known issue",
    "xpassed": "xpass",
    "skipped": "skip",
}
EMOJI = {"passed": "✅", "failed": "❌", "xfailed": "⚠️", "xpassed": "❔", "skipped": "⏭️"}


AXES = (  # what a column says it had, in this order; absent ones ("-") are left out
    ("python", "Python"),
    ("nuitka", "Nuitka"),
    ("tensorflow", "TF"),
    ("keras", "Keras"),
    ("tf-keras", "tf-keras"),
    ("torch", "torch"),
    ("TF_USE_LEGACY_KERAS", "TF_USE_LEGACY_KERAS="),
    ("KERAS_BACKEND", "KERAS_BACKEND="),
)
WORST_FIRST = ("failed", "xpassed", "xfailed", "passed", "skipped")


@dataclass(frozen=True)
class Matrix:
    cells: list[str]  # grouped by Nuitka release, newest first; as given within a group
    versions: dict[str, dict[str, str]]
    rows: list[str]
    results: dict[tuple[str, str], dict[str, Any]]  # (row, cell) -> result
    runs: dict[str, dict[str, str]]  # cell -> when it finished, from which commit

    def counts(self, cell: str, rows: Iterable[str] | None = None) -> dict[str, int]:
        found: dict[str, int] = {}
        for row in self.rows if rows is None else rows:
            result = self.results.get((row, cell))
            if result is not None:
                found[result["outcome"]] = found.get(result["outcome"], 0) + 1
        return found

    def nuitka_groups(self) -> list[tuple[str, list[str]]]:
        groups: dict[str, list[str]] = {}
        for cell in self.cells:
            groups.setdefault(self.versions[cell].get("nuitka", "-"), []).append(cell)
        return list(groups.items())


def release_key(version: str) -> tuple[int, Any]:
    try:
        return (0, Version(version))
    except InvalidVersion:
        return (1, version)


class NotResults(ValueError):
    """A file that is not what ``--nuitka-results`` writes; the message names it and why."""


def read(path: Path) -> dict[str, Any]:
    """One cell's results file, checked for what the report reads."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        why = "it is empty" if path.is_file() and not path.stat().st_size else str(error)
        raise NotResults(f"{path}: not a results file of --nuitka-results ({why})") from None
    keys = ("cell", "versions", "results")
    if not isinstance(data, dict) or any(key not in data for key in keys):
        raise NotResults(
            f"{path}: not a results file of --nuitka-results (it needs the keys "
            f"{', '.join(keys)}): give the files the cells wrote"
        )
    rows = data["results"]
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "nodeid" in r for r in rows):
        raise NotResults(f"{path}: its results are not a list of rows with a nodeid")
    return data


def load(paths: Sequence[Path]) -> Matrix:
    cells, versions, rows, results, runs = [], {}, [], {}, {}
    for path in paths:
        data = read(path)
        cell = data["cell"]
        if cell not in cells:
            cells.append(cell)
        versions[cell] = data["versions"]
        runs[cell] = {key: data[key] for key in ("finished", "commit") if data.get(key)}
        for result in data["results"]:
            row = result["nodeid"]
            if row not in rows:
                rows.append(row)
            results[row, cell] = result
    nuitka = {cell: release_key(versions[cell].get("nuitka", "-")) for cell in cells}
    cells.sort(key=lambda cell: nuitka[cell], reverse=True)  # stable: as given within
    return Matrix(cells, versions, sorted(rows, key=row_order), results, runs)


def case_of(nodeid: str) -> str:
    """The zoo case a check belongs to (its folder), else the test file."""
    path = nodeid.partition("::")[0]
    return Path(path).parent.name if path.endswith("/nuitka-case.toml") else path


def cases(matrix: Matrix) -> list[tuple[str, list[str]]]:
    grouped: dict[str, list[str]] = {}
    for row in matrix.rows:
        grouped.setdefault(case_of(row), []).append(row)
    return list(grouped.items())


def check_label(nodeid: str) -> str:
    """A check as its case's row already says where it is: ``run:predict``, ``test_x``."""
    return nodeid.partition("::")[2] or nodeid


def row_order(nodeid: str) -> tuple[str, int, str]:
    """By file, then a zoo case's checks in reading order: runs, baselines, round-trips."""
    path, _, name = nodeid.partition("::")
    kind = name.split(":", 1)[0]
    return path, {"run": 0, "baseline": 1, "roundtrip": 2}.get(kind, 3), name


def column(matrix: Matrix, cell: str) -> list[str]:
    """A column's name, then the versions the cell really had."""
    versions = matrix.versions[cell]
    had = [
        f"{label}{'' if label.endswith('=') else ' '}{versions[key]}"
        for key, label in AXES
        if versions.get(key, "-") not in ("-", None)
    ]
    return [cell, *had]


def provenance(matrix: Matrix, now: str, commit: str | None) -> str:
    """When and from what the report was made, and when its cells ran."""
    text = f"made {now}" + (f" from commit {commit}" if commit else "")
    finished = sorted(run["finished"] for run in matrix.runs.values() if "finished" in run)
    if finished:
        text += f"; cells finished {finished[0]}" + (
            f" to {finished[-1]}" if finished[-1] != finished[0] else ""
        )
    commits = sorted({run["commit"] for run in matrix.runs.values() if "commit" in run})
    if commits and commits != [commit]:
        text += f", from commit {', '.join(commits)}"
    return text


def summary(counts: dict[str, int]) -> str:
    return " · ".join(f"{counts[k]} {SYMBOLS[k]}" for k in WORST_FIRST if counts.get(k))


def worst(counts: dict[str, int]) -> str:
    return next((k for k in WORST_FIRST if counts.get(k)), "")


def grid(
    matrix: Matrix, rows: Iterable[str], render: Callable[[dict[str, Any]], str], empty: str
) -> Iterator[tuple[str, list[str]]]:
    """Each row with its cells rendered, ``empty`` where a cell did not run the check."""
    for row in rows:
        results = [matrix.results.get((row, cell)) for cell in matrix.cells]
        yield row, [empty if result is None else render(result) for result in results]


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """The lines of a Markdown table (the matrix, the benchmark and the corpus print one)."""
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]


def markdown(matrix: Matrix, made: str) -> str:
    """One row per case (its checks' outcomes counted per cell), then each case's checks
    in a collapsed section: GitHub renders both in a job summary."""
    notes: dict[str, int] = {}

    def render(result: dict[str, Any]) -> str:
        text = f"{EMOJI[result['outcome']]} {SYMBOLS[result['outcome']]}"
        if result["outcome"] in ("failed", "xfailed", "xpassed"):
            note = notes.setdefault(first_line(result["message"]), len(notes) + 1)
            text += f" [{note}]"
        return text + "".join(f" `{name}`" for name in result.get("known_issues", []))

    header = ["<br>".join(column(matrix, cell)) for cell in matrix.cells]
    grouped = cases(matrix)
    summary_rows = []
    for case, rows in grouped:
        counts = [matrix.counts(cell, rows) for cell in matrix.cells]
        mark = EMOJI.get(worst({k: sum(c.get(k, 0) for c in counts) for k in SYMBOLS}), "")
        summary_rows.append([f"{mark} **{case}**", *(summary(c) for c in counts)])
    totals = ["**totals**", *(summary(matrix.counts(c)) for c in matrix.cells)]
    lines = [f"Compiled vs script: {made}", ""]
    lines += markdown_table(["case", *header], [*summary_rows, totals])
    for case, rows in grouped:
        checks = [
            [f"`{check_label(row)}`", *cells] for row, cells in grid(matrix, rows, render, "")
        ]
        lines += ["", f"<details><summary>{case}: {len(rows)} checks</summary>", ""]
        lines += markdown_table(["check", *matrix.cells], checks)
        lines += ["", "</details>"]
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
th {{ background: #f3f3f3; }} tbody th {{ text-align: left; font-weight: normal; }}
thead small {{ display: block; font-weight: normal; color: #444; }}
tr.case th {{ font-weight: bold; cursor: pointer; }} tr.check th {{ padding-left: 2em; }}
.passed {{ background: #d8f5d0; }} .failed {{ background: #f8c9c4; }}
.xfailed {{ background: #fde9b6; }} .xpassed {{ background: #e4d7f5; }}
.skipped {{ background: #eeeeee; color: #555; }}
pre {{ white-space: pre-wrap; max-width: 60em; font-size: 12px; }}
code {{ font-size: 13px; }}
</style></head><body>
<h1>Compiled vs script: compatibility matrix</h1>
<p>{made}. One row per case; click it for its checks (open where one failed).</p>
<table>
<thead>
<tr><th rowspan="2">case / check</th>{groups}</tr>
<tr>{head}</tr>
</thead>
<tbody>
{body}
</tbody></table>
<script>
for (const row of document.querySelectorAll("tr.case")) {{
  row.addEventListener("click", () => {{
    for (const check of document.querySelectorAll("tr.check." + row.id)) {{
      check.hidden = !check.hidden;
    }}
  }});
}}
</script>
</body></html>
"""


def html_page(matrix: Matrix, made: str) -> str:
    groups = "".join(
        f'<th colspan="{len(cells)}">Nuitka {html.escape(nuitka)}</th>'
        for nuitka, cells in matrix.nuitka_groups()
    )
    head = ""
    for cell in matrix.cells:
        name, *had = column(matrix, cell)
        small = "".join(f"<small>{html.escape(line)}</small>" for line in had)
        title = html.escape(json.dumps(matrix.versions[cell]))
        head += f'<th title="{title}">{html.escape(name)}{small}</th>'

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

    body = []
    for number, (case, rows) in enumerate(cases(matrix), 1):
        counts = [matrix.counts(cell, rows) for cell in matrix.cells]
        cells = "".join(f'<td class="{worst(c)}">{html.escape(summary(c))}</td>' for c in counts)
        body.append(f'<tr class="case" id="case{number}"><th>{html.escape(case)}</th>{cells}</tr>')
        hidden = "" if any(c.get("failed") or c.get("xpassed") for c in counts) else " hidden"
        body += [
            f'<tr class="check case{number}"{hidden}><th title="{html.escape(row)}">'
            f"<code>{html.escape(check_label(row))}</code></th>{''.join(cells)}</tr>"
            for row, cells in grid(matrix, rows, render, "<td></td>")
        ]
    totals = "".join(f"<td>{html.escape(summary(matrix.counts(c)))}</td>" for c in matrix.cells)
    body.append(f'<tr class="totals"><th>totals</th>{totals}</tr>')
    return PAGE.format(made=html.escape(made), groups=groups, head=head, body="\n".join(body))


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
    try:
        matrix = load(args.results)
    except NotResults as error:
        parser.error(str(error))
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    made = provenance(matrix, now, commit_of(Path.cwd()))
    text = markdown(matrix, made)
    sys.stdout.write(text)
    if args.markdown:
        args.markdown.write_text(text)
    if args.html:
        args.html.write_text(html_page(matrix, made))
    return 1 if any(r["outcome"] in ("failed", "xpassed") for r in matrix.results.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
