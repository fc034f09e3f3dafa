"""Measure the plugin against the outside corpus and against Nuitka's own comparison tool.

    python bench/corpus.py [--skip-nuitka-tool] [--json results.json]

For every program in ``tests/corpus/corpus.toml``: the plugin's verdict
(``tests/acceptance/test_corpus.py`` with ``--nuitka-compile``, accelerated mode) and
Nuitka's (``python -m nuitka.tools.testing.compare_with_cpython PROGRAM.py silent``, run on a
copy of the program's folder, since it writes its build beside the program). Prints a
Markdown table: agreements, false alarms (the plugin says "differs" where Nuitka's tool finds
none) and misses.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

from pytest_nuitka.matrix.report import markdown_table

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"


def plugin_verdicts(programs: list[str]) -> dict[str, tuple[str, str]]:
    """program -> (same|differs, first line of the failure). The test asserts a match, so
    an expected-"differs" program is run with verdict "same" forced through the env."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        env = {**os.environ, "PYTEST_NUITKA_CORPUS": "all", "PYTEST_NUITKA_CORPUS_RAW": "1"}
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "--nuitka-compile",
                "-p",
                "no:cacheprovider",
                "-q",
                f"--junitxml={report}",
                "tests/acceptance/test_corpus.py",
            ],
            cwd=ROOT,
            env=env,
            check=False,
        )
        found: dict[str, tuple[str, str]] = {}
        for case in ET.parse(report).getroot().iter("testcase"):
            name = case.get("name", "")
            program = name[name.index("[") + 1 : -1] if "[" in name else name
            failure = case.find("failure")
            if failure is None:
                failure = case.find("error")
            if failure is None:
                found[program] = ("same", "")
            else:
                message = failure.get("message", "") or ""
                found[program] = ("differs", message.splitlines()[0] if message else "")
        return {p: found.get(p, ("not run", "")) for p in programs}


def nuitka_verdict(program: str) -> tuple[str, str]:
    source = CORPUS / program
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / source.parent.name
        shutil.copytree(source.parent, folder)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "nuitka.tools.testing.compare_with_cpython",
                source.name,
                "silent",
            ],
            cwd=folder,
            env={**os.environ, "PYTHON": sys.executable},
            capture_output=True,
            text=True,
            check=False,
        )
    diff = [line for line in done.stdout.splitlines() if line.startswith(("+", "-"))]
    detail = "; ".join(line for line in diff if not line.startswith(("+++", "---")))[:200]
    return ("same" if done.returncode == 0 else "differs"), detail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-nuitka-tool", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    listed = tomllib.loads((CORPUS / "corpus.toml").read_text(encoding="utf-8"))["program"]
    programs = [p["path"] for p in listed]
    start = time.monotonic()
    ours = plugin_verdicts(programs)
    plugin_seconds = time.monotonic() - start
    rows, tally = [], {"agree": 0, "false alarm": 0, "miss": 0}
    for entry in listed:
        program = entry["path"]
        theirs, detail = (
            (entry["verdict"], "(from corpus.toml)")
            if args.skip_nuitka_tool
            else nuitka_verdict(program)
        )
        verdict, why = ours[program]
        if verdict == theirs:
            outcome = "agree"
        elif verdict == "differs":
            outcome = "false alarm"
        else:
            outcome = "miss"
        tally[outcome] += 1
        rows.append(
            {
                "program": program,
                "nuitka": theirs,
                "plugin": verdict,
                "outcome": outcome,
                "plugin_says": why,
                "nuitka_says": detail,
                "ci": bool(entry.get("ci")),
            }
        )
    header = ["program", "Nuitka's tool", "plugin", "outcome"]
    cells = [[f"`{r['program']}`", r["nuitka"], r["plugin"], r["outcome"]] for r in rows]
    print("\n".join(markdown_table(header, cells)))
    print(
        f"\n{len(rows)} programs: {tally['agree']} agree, {tally['false alarm']} false "
        f"alarm(s), {tally['miss']} miss(es); plugin run {plugin_seconds:.0f}s"
    )
    for row in rows:
        if row["outcome"] != "agree" or row["nuitka"] == "differs":
            says = f"plugin: {row['plugin_says']!r}; Nuitka: {row['nuitka_says']!r}"
            print(f"- {row['program']}: {says}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0 if tally["agree"] == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
