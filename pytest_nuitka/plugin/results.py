"""A session's outcomes as one JSON file for its matrix cell, merged later by ``report``."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from pytest_nuitka.base.environment import FRAMEWORKS, commit_of
from pytest_nuitka.zoo.baselines import cell

MESSAGE_LIMIT = 4000
KNOWN_ISSUES_PROPERTY = "nuitka_known_issues"  # ids from known_issues.toml a failure matched
BOTH_FAILED_PROPERTY = "nuitka_both_failed"  # a pass on both sides failing: their headlines


def cell_label(versions: dict[str, str]) -> str:
    """tox's environment name when there is one, else the versions that make the cell."""
    if os.environ.get("TOX_ENV_NAME"):
        return os.environ["TOX_ENV_NAME"]
    parts = [f"{name} {versions[name]}" for name in FRAMEWORKS if versions.get(name, "-") != "-"]
    parts += [
        f"{var}={versions[var]}"
        for var in ("TF_USE_LEGACY_KERAS", "KERAS_BACKEND")
        if versions.get(var, "-") != "-"
    ]
    return ", ".join(parts) or "no framework"


def shortened(message: str) -> str:
    """A long failure keeps its first lines (what failed) and its last (the evidence)."""
    if len(message) <= MESSAGE_LIMIT:
        return message
    head = MESSAGE_LIMIT // 4
    return message[:head] + "\n[...]\n" + message[-(MESSAGE_LIMIT - head) :]


def outcome_of(report: pytest.TestReport) -> tuple[str, str]:
    """(outcome, message) as a person reads them in the matrix."""
    if hasattr(report, "wasxfail"):
        return ("xfailed" if report.skipped else "xpassed"), str(report.wasxfail)
    if report.skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        return "skipped", reason.removeprefix("Skipped: ")
    if report.failed:
        lines = report.longreprtext.splitlines()
        if lines and lines[0].startswith("[gw"):  # xdist's "[gw0] linux -- Python ..." line
            lines = lines[1:]
        return "failed", shortened("\n".join(lines))
    return "passed", ""


class ResultsRecorder:
    """Registered with --nuitka-results, on the controller only (xdist sends it every
    worker's reports)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: dict[str, dict[str, Any]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call" and not (report.failed or report.skipped):
            return
        outcome, message = outcome_of(report)
        row = self.rows.setdefault(report.nodeid, {"nodeid": report.nodeid, "duration": 0.0})
        row["duration"] = round(row["duration"] + report.duration, 3)
        if row.get("outcome") in (None, "passed") or outcome == "failed":
            row.update(outcome=outcome, message=message, phase=report.when)
        for name, value in report.user_properties:
            if name == KNOWN_ISSUES_PROPERTY:
                row["known_issues"] = value
            if name == BOTH_FAILED_PROPERTY and outcome == "passed":
                row["both_failed"] = value

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        versions = cell(os.environ)
        text = json.dumps(
            {
                "cell": cell_label(versions),
                "versions": versions,
                "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "commit": commit_of(session.config.rootpath),
                "results": list(self.rows.values()),
                "passed_with_both_failing": sum(
                    1 for row in self.rows.values() if row.get("both_failed")
                ),
            },
            indent=1,
        )
        partial = self.path.with_name(f".{self.path.name}.partial")
        try:  # a reader never sees half a file; a folder gone meanwhile ends nothing
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(text + "\n", encoding="utf-8")
            partial.replace(self.path)
        except OSError as error:
            terminal = session.config.pluginmanager.get_plugin("terminalreporter")
            if terminal is not None:
                terminal.write_line(f"nuitka: the results were not written to {self.path}: {error}")
