"""Name the known issue behind a failing check, from the table in ``known_issues.toml``."""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pytest

from .compare import Difference, render
from .runs import Run

TABLE = "known_issues.toml"
FIELDS = {"id", "output", "env", "frozen", "option", "side", "title", "explain", "remedy", "link"}


@dataclass(frozen=True)
class KnownIssue:
    id: str
    title: str
    explain: str
    remedy: str
    link: str | None
    output: re.Pattern[str] | None
    env: tuple[str, str] | None
    frozen: str | None
    option: re.Pattern[str] | None
    side: str | None


@dataclass(frozen=True)
class Build:
    """What a diagnosis needs to know of the build: its options and its frozen variables."""

    options: tuple[str, ...] = ()
    frozen_env: Mapping[str, str | None] | None = None


NO_BUILD = Build()


@dataclass(frozen=True)
class Diagnosis:
    issue: KnownIssue
    side: str
    evidence: str

    def render(self) -> str:
        issue = self.issue
        lines = [
            f"known issue [{issue.id}] in the {self.side}: {issue.title}",
            f"  seen: {self.evidence}",
            f"  why: {issue.explain}",
            f"  do: {issue.remedy}",
        ]
        if issue.link:
            lines.append(f"  see: {issue.link}")
        return "\n".join(lines)


class DiagnosedFailure(pytest.fail.Exception):  # type: ignore[misc,name-defined]
    """A check's failure that carries the known issues it matched, for the report."""

    def __init__(self, msg: str, diagnoses: Sequence[Diagnosis]) -> None:
        super().__init__(msg, pytrace=False)
        self.diagnoses = tuple(diagnoses)


def _issue(raw: dict[str, Any]) -> KnownIssue:
    unknown = set(raw) - FIELDS
    if unknown:
        raise ValueError(f"{TABLE}: issue {raw.get('id')!r} has unknown keys {sorted(unknown)}")
    env = raw.get("env")
    return KnownIssue(
        id=raw["id"],
        title=raw["title"],
        explain=raw["explain"],
        remedy=raw["remedy"],
        link=raw.get("link"),
        output=re.compile(raw["output"]) if "output" in raw else None,
        env=(env.split("=", 1)[0], env.split("=", 1)[1]) if env else None,
        frozen=raw.get("frozen"),
        option=re.compile(raw["option"]) if "option" in raw else None,
        side=raw.get("side"),
    )


@functools.cache
def table() -> tuple[KnownIssue, ...]:
    text = resources.files(__package__).joinpath(TABLE).read_text(encoding="utf-8")
    return tuple(_issue(raw) for raw in tomllib.loads(text)["issue"])


def _evidence(issue: KnownIssue, run: Run, build: Build) -> str | None:
    if issue.side and run.side != issue.side:
        return None
    if issue.output and not run.ok:
        found = issue.output.search(run.stderr) or issue.output.search(run.stdout)
        if found:
            return found.group(0)
    if issue.env and run.env.get(issue.env[0]) == issue.env[1]:
        return f"{issue.env[0]}={issue.env[1]} in the {run.side}'s environment"
    if issue.frozen and run.side == "binary" and build.frozen_env is not None:
        built, ran = build.frozen_env.get(issue.frozen), run.env.get(issue.frozen)
        if built != ran:
            return f"{issue.frozen} was {built!r} at build time and {ran!r} at run time"
    if issue.option and run.side == "binary":
        for option in build.options:
            if issue.option.search(option):
                return f"built with {option}"
    return None


def diagnose(runs: Iterable[Run], build: Build = NO_BUILD) -> list[Diagnosis]:
    """Known issues seen in the runs of a failing check, each named once, in table order."""
    found: dict[str, Diagnosis] = {}
    runs = list(runs)
    for issue in table():
        for run in runs:
            evidence = _evidence(issue, run, build)
            if evidence and issue.id not in found:
                found[issue.id] = Diagnosis(issue, run.side, evidence)
    return list(found.values())


def fail(
    title: str,
    differences: list[Difference],
    runs: Sequence[Run],
    build: Build,
    after: Sequence[str] = (),
) -> None:
    """Fail the check with the differences, the known issues they match first; ``after``:
    notes that follow the differences (one-sided warnings, the normalisation used)."""
    __tracebackhide__ = True
    diagnoses = diagnose(runs, build)
    found = [d.render() for d in diagnoses]
    raise DiagnosedFailure(render(title, differences, *runs, notes=found, after=after), diagnoses)
