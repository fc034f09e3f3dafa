"""Conditions over the environment under test, read without importing any framework.

``"tensorflow>=2.16"`` holds when that distribution is installed at a matching version;
``"!torch"`` when it is not installed; ``"python>=3.12"`` compares the interpreter under test;
``"env:TF_USE_LEGACY_KERAS=1"`` and ``"env:KERAS_BACKEND!=torch"`` compare an environment
variable (unset reads as "").
"""

from __future__ import annotations

import platform
import re
from collections.abc import Iterable, Mapping

from packaging.requirements import InvalidRequirement, Requirement

from pytest_nuitka.base.environment import version_of

ENV_CONDITION = re.compile(r"env:([A-Za-z_][A-Za-z0-9_]*)(!=|=)(.*)")


def check_condition(text: str) -> str | None:
    """Why ``text`` is not a condition, or None when it is one."""
    if ENV_CONDITION.fullmatch(text):
        return None
    try:
        Requirement(text.removeprefix("!"))
    except InvalidRequirement as error:
        return (
            f"{text!r} is neither a requirement like 'tensorflow>=2.16' nor "
            f"'env:NAME=value' ({error})"
        )
    return None


def first_problem(conditions: Iterable[str]) -> str | None:
    return next((problem for problem in map(check_condition, conditions) if problem), None)


def holds(text: str, env: Mapping[str, str]) -> bool:
    match = ENV_CONDITION.fullmatch(text)
    if match:
        name, operator, value = match.groups()
        return (env.get(name, "") == value) == (operator == "=")
    if text.startswith("!"):
        return installed(Requirement(text[1:]).name) is None
    requirement = Requirement(text)
    version = installed(requirement.name)
    return version is not None and requirement.specifier.contains(version, prereleases=True)


def installed(name: str) -> str | None:
    """A distribution's version; ``python`` is the interpreter under test."""
    return platform.python_version() if name.lower() == "python" else version_of(name)


def all_hold(conditions: Iterable[str], env: Mapping[str, str]) -> bool:
    return all(holds(condition, env) for condition in conditions)


def unmet(conditions: Iterable[str], env: Mapping[str, str]) -> list[str]:
    return [condition for condition in conditions if not holds(condition, env)]


def skip_reason(missing: Iterable[str]) -> str:
    return "needs " + ", ".join(missing) + " (not so in this environment)"
