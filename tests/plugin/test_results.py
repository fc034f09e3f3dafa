"""The results file a cell writes: every outcome, with its message and versions."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from conftest import PluginRun


def test_results_file_records_every_outcome(
    pytester: pytest.Pytester, plugin_run: PluginRun, tmp_path: Path
) -> None:
    pytester.makepyfile(
        test_mixed="""
        import pytest
        def test_pass():
            pass
        def test_fail():
            assert 1 == 2, "boom"
        @pytest.mark.nuitka_known_issue("demo issue")
        def test_xfail():
            assert False
        @pytest.mark.nuitka_requires("!pytest")
        def test_skip():
            pass
    """
    )
    results = tmp_path / "cell.json"
    plugin_run(f"--nuitka-results={results}", "-n", "2", subprocess=True)
    data = json.loads(results.read_text())
    outcomes = {row["nodeid"].split("::")[1]: row["outcome"] for row in data["results"]}
    assert outcomes == {
        "test_pass": "passed",
        "test_fail": "failed",
        "test_xfail": "xfailed",
        "test_skip": "skipped",
    }
    messages = {row["nodeid"].split("::")[1]: row["message"] for row in data["results"]}
    assert "boom" in messages["test_fail"]
    assert not messages["test_fail"].startswith("[gw")
    assert messages["test_xfail"] == "known issue: demo issue"
    assert data["versions"]["python"] == sys.version.split()[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", data["finished"])
    assert data["commit"] is None  # pytester's folder is no git checkout


def test_a_long_failure_keeps_what_failed_and_its_evidence() -> None:
    from pytest_nuitka.plugin.results import MESSAGE_LIMIT, shortened

    message = "binary differs: probs\n" + "x" * 10_000 + "\nthe evidence"
    kept = shortened(message)
    assert kept.startswith("binary differs: probs\n") and kept.endswith("\nthe evidence")
    assert "\n[...]\n" in kept and len(kept) <= MESSAGE_LIMIT + len("\n[...]\n")
    assert shortened("short") == "short"
