"""Conditions on distributions and variables, and the markers that use them."""

from __future__ import annotations

import pytest

from conftest import PluginRun
from pytest_nuitka.zoo.conditions import check_condition, holds


@pytest.mark.parametrize(
    ("condition", "env", "expected"),
    [
        ("pytest>=8", {}, True),
        ("pytest<8", {}, False),
        ("!pytest", {}, False),
        ("!no-such-distribution", {}, True),
        ("python>=3.11", {}, True),
        ("python>=4", {}, False),
        ("!python", {}, False),
        ("env:TF_USE_LEGACY_KERAS=1", {"TF_USE_LEGACY_KERAS": "1"}, True),
        ("env:TF_USE_LEGACY_KERAS=1", {}, False),
        ("env:KERAS_BACKEND!=torch", {}, True),
    ],
)
def test_conditions(condition: str, env: dict[str, str], expected: bool) -> None:
    assert check_condition(condition) is None
    assert holds(condition, env) is expected


def test_version_markers(pytester: pytest.Pytester, plugin_run: PluginRun) -> None:
    pytester.makepyfile(
        test_cells="""
        import pytest

        @pytest.mark.nuitka_requires("no-such-framework>=1")
        def test_needs_absent():
            pass

        @pytest.mark.nuitka_requires("pytest>=8", "env:CELL_FLAG!=off")
        def test_needs_present():
            pass

        @pytest.mark.nuitka_known_issue("pytest breaks here (demo issue)", "pytest>=8")
        def test_known_issue():
            assert False

        @pytest.mark.nuitka_known_issue("only on old pytest", "pytest<8")
        def test_not_this_cell():
            pass
    """
    )
    result = plugin_run("-rsx")
    result.assert_outcomes(passed=2, skipped=1, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "*needs no-such-framework>=1 (not so in this environment)*",
            "*test_known_issue - known issue: pytest breaks here (demo issue)",
        ]
    )


def test_bad_marker_condition_is_a_usage_error(
    pytester: pytest.Pytester, plugin_run: PluginRun
) -> None:
    pytester.makepyfile(
        test_bad="""
        import pytest
        @pytest.mark.nuitka_requires("tensorflow=>2")
        def test_it():
            pass
    """
    )
    result = plugin_run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_bad.py::test_it: 'tensorflow=>2' is neither*"])
