"""Green only when something was compared (issue 26): two timed-out sides are inconclusive,
time limits are positive, and passes on both sides failing the same way are counted apart."""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import PluginRun


def write(pytester: pytest.Pytester, **files: str) -> None:
    pytester.makepyfile(**{name: textwrap.dedent(text) for name, text in files.items()})


def test_two_sides_killed_at_their_time_limit_are_inconclusive(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    write(
        pytester,
        app="import time\ntime.sleep(30)\n",
        test_app="""
    def test_hung(nuitka):
        nuitka.compile("app.py").run_both(timeout=0.5).assert_match()
    def test_hung_exit_only(nuitka):
        nuitka.compile("app.py").run_both(timeout=0.5).check_exit()
    """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        ["*[[]inconclusive[]]*", "  both sides were killed at their time limit (0.5s, 0.5s)*"]
    )
    assert "passed with both sides failing" not in result.stdout.str()


@pytest.mark.parametrize("limit", ["0", "-5", "float('nan')", "float('inf')", "'soon'"])
def test_a_time_limit_must_be_a_positive_number(
    pytester: pytest.Pytester, plugin_run: PluginRun, limit: str
) -> None:
    write(
        pytester,
        app="print('hi')\n",
        test_app=f"""
    def test_run(nuitka):
        nuitka.compile("app.py").run_both(timeout={limit}).assert_match()
    """,
    )
    result = plugin_run("--nuitka-compile")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*timeout: *: give a number of seconds above 0*"])


def test_both_sides_failing_the_same_way_pass_and_are_counted_apart(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    write(
        pytester,
        app="""
    import sys
    if sys.argv[1:] == ["bad"]:
        raise SystemExit("no such model: bad")
    if sys.argv[1:] == ["code"]:
        sys.exit(1 if "__compiled__" in globals() else 2)
    print("ok")
    """,
        test_app="""
    def test_same_failure(nuitka):
        nuitka.compile("app.py").run_both("bad").assert_match(argmax=["logits"])
    def test_same_failure_exit_only(nuitka):
        nuitka.compile("app.py").run_both("bad").check_exit()
    def test_fine(nuitka):
        nuitka.compile("app.py").run_both().assert_match()
    def test_nothing_to_compare(nuitka):
        nuitka.compile("app.py").run_both().assert_match(argmax=["logits"])
    def test_other_exit_codes(nuitka):
        nuitka.compile("app.py").run_both("code").check_exit()
    """,
    )
    results = pytester.path / "results.json"
    result = plugin_run("--nuitka-compile", f"--nuitka-results={results}", "-p", "no:randomly")
    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines(
        [
            "[[]argmax(logits)[]]",
            "  not emitted by script and binary",
            "*[[]exit[]]*",
            "  script: exit status 2",
            "  binary: exit status 1",
            "nuitka: 2 passed with both sides failing the same way",
        ]
    )
    rows = {
        row["nodeid"].split("::")[-1]: row for row in json.loads(results.read_text())["results"]
    }
    assert rows["test_same_failure"]["both_failed"] == ["exit message: no such model: bad"]
    assert "both_failed" not in rows["test_fine"]
    assert json.loads(results.read_text())["passed_with_both_failing"] == 2


def test_a_pass_on_both_failing_outside_a_test_is_not_counted() -> None:
    import contextvars

    from pytest_nuitka.check import tally

    contextvars.Context().run(tally.both_failed, "ValueError: x")  # nobody watching: no error
    with tally.watching() as found:
        tally.both_failed("ValueError: x")
        tally.both_failed("ValueError: x")
        tally.both_failed("KeyError: y")
    assert found == ["ValueError: x", "KeyError: y"]
