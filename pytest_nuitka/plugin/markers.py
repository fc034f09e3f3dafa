"""Conditions and known issues as pytest markers, for the ``nuitka_requires`` and
``nuitka_known_issue`` marks and for the model zoo's ``requires`` and ``[[expect]]`` alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from pytest_nuitka.zoo.conditions import all_hold, first_problem, skip_reason, unmet
from pytest_nuitka.zoo.manifest import Outcome


def checked(item: pytest.Item, conditions: Sequence[str]) -> Sequence[str]:
    problem = first_problem(conditions)
    if problem:
        raise pytest.UsageError(f"{item.nodeid}: {problem}")
    return conditions


def require(item: pytest.Item, conditions: Sequence[str], env: Mapping[str, str]) -> None:
    """Skip the item, naming what is missing, unless every condition holds."""
    missing = unmet(conditions, env)
    if missing:
        item.add_marker(pytest.mark.skip(reason=skip_reason(missing)))


def expect(
    item: pytest.Item,
    issue: str,
    conditions: Sequence[str],
    env: Mapping[str, str],
    outcome: Outcome = Outcome.XFAIL,
    raises: type[BaseException] | None = None,
) -> bool:
    """A strict expected failure (or a skip) where every condition holds; whether it does."""
    if not all_hold(conditions, env):
        return False
    reason = f"known issue: {issue}"
    if outcome is Outcome.SKIP:
        item.add_marker(pytest.mark.skip(reason=reason))
    else:
        item.add_marker(pytest.mark.xfail(reason=reason, strict=True, raises=raises))
    return True
