"""Binary search over releases for the one where a selection's verdict changes.

The search knows versions and verdicts only: trying a version (install it, run the selection)
is a ``Trial``, so the logic is tested with a stand-in and the real one lives in ``trial``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from packaging.version import Version


class BisectError(Exception):
    """Bad input or endpoints that cannot answer the question; the message says what to do."""


class Verdict(StrEnum):
    GOOD = "good"
    BAD = "bad"
    SKIP = "skip"  # cannot install, or cannot build for a reason of its own: never counted


class Question(StrEnum):
    """What a bisect looks for: the first bad release after a good one, or the reverse."""

    REGRESSION = "regression"
    FIX = "fix"

    @property
    def old(self) -> Verdict:
        """The verdict of the older endpoint."""
        return Verdict.GOOD if self is Question.REGRESSION else Verdict.BAD

    @property
    def new(self) -> Verdict:
        return Verdict.BAD if self is Question.REGRESSION else Verdict.GOOD


@dataclass(frozen=True)
class Check:
    """One pytest item of the selection as a tried version left it."""

    outcome: str  # passed / failed / skipped, as in --nuitka-results
    message: str = ""
    known_issues: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    version: str
    verdict: Verdict
    reason: str = ""  # why a step is bad or skipped, in a line
    seconds: float = 0.0
    checks: dict[str, Check] = field(default_factory=dict)


Trial = Callable[[str], Step]
"""Tries one release of the package: the hook a stand-in replaces in tests."""


@dataclass(frozen=True)
class Change:
    nodeid: str
    before: Check
    after: Check


@dataclass(frozen=True)
class Answer:
    package: str
    question: Question
    last_before: str  # the newest release that behaves like the older endpoint
    first_after: str  # the oldest release that behaves like the newer endpoint
    untested: tuple[str, ...]  # skipped releases between them: the change may be in any
    changes: tuple[Change, ...]
    steps: tuple[Step, ...]

    def record(self) -> dict[str, Any]:
        """What ``--json`` writes: the answer and every step, in the order they ran."""
        data = asdict(self)
        data["steps"] = [asdict(step) for step in self.steps]
        return data


def releases_between(versions: Sequence[Version], low: Version, high: Version) -> list[Version]:
    missing = [str(v) for v in (low, high) if v not in versions]
    if missing:
        raise BisectError(
            f"the index offers no release {' or '.join(missing)}; pick from: "
            + ", ".join(str(v) for v in versions[-12:])
            + (" (newest 12)" if len(versions) > 12 else "")
        )
    return [v for v in sorted(versions) if low <= v <= high]


def bisect(
    package: str,
    versions: Sequence[Version],
    *,
    good: Version,
    bad: Version,
    trial: Trial,
    explicit: tuple[bool, bool] = (True, True),
    say: Callable[[str], None] = print,
) -> Answer:
    """Find where the verdict turns from the older endpoint's to the newer one's.

    ``good`` older than ``bad`` asks for a regression; ``bad`` older than ``good`` for a fix.
    An endpoint chosen by default (``explicit`` false) that cannot be tried moves inward to
    the next release that can; an explicit one that cannot is an error."""
    if good == bad:
        raise BisectError(f"--good and --bad are the same release ({good}): give two")
    question = Question.REGRESSION if good < bad else Question.FIX
    low, high = sorted((good, bad))
    order = releases_between(versions, low, high)
    old_verdict, new_verdict = question.old, question.new
    low_explicit, high_explicit = explicit if question is Question.REGRESSION else explicit[::-1]
    planned = min(len(order), 2 + math.ceil(math.log2(max(len(order) - 2, 0) + 1)))
    steps: list[Step] = []
    tried: dict[int, Step] = {}
    started = time.monotonic()

    def run(index: int) -> Step:
        estimate = max(planned, len(steps) + 1)
        say(f"bisect: step {len(steps) + 1} of about {estimate}: {package} {order[index]} ...")
        step = trial(str(order[index]))
        steps.append(step)
        tried[index] = step
        why = f" ({step.reason})" if step.reason else ""
        say(f"bisect: {package} {order[index]} is {step.verdict} in {step.seconds:.0f}s{why}")
        return step

    def endpoint(index: int, inward: int, expected: Verdict, is_explicit: bool, name: str) -> int:
        while True:
            step = run(index)
            if step.verdict != Verdict.SKIP:
                break
            if is_explicit:
                raise BisectError(
                    f"{package} {order[index]} ({name}) could not be tried: {step.reason}. "
                    f"Pick another --{name}"
                )
            index += inward
            if not lo_seen < index < hi_seen:
                raise BisectError(f"no release of {package} in the range could be tried")
        if step.verdict != expected:
            why = step.reason or "every selected test passes"
            same = "; good and bad behave the same" if lo_seen >= 0 else ""  # the other end's
            raise BisectError(
                f"{package} {order[index]}, given as --{name}, is {step.verdict} ({why}){same}. "
                f"Pick a --{name} release where the selection is {name}"
            )
        return index

    lo_seen, hi_seen = -1, len(order)
    lo = endpoint(0, +1, old_verdict, low_explicit, old_verdict)
    lo_seen = lo
    hi = endpoint(len(order) - 1, -1, new_verdict, high_explicit, new_verdict)
    hi_seen = hi
    while True:
        open_ = [i for i in range(lo + 1, hi) if i not in tried]
        if not open_:
            break
        middle = (lo + hi) / 2
        index = min(open_, key=lambda i: (abs(i - middle), i))
        verdict = run(index).verdict
        if verdict == old_verdict:
            lo = lo_seen = index
        elif verdict == new_verdict:
            hi = hi_seen = index
    untested = tuple(str(order[i]) for i in range(lo + 1, hi))
    before, after = tried[lo].checks, tried[hi].checks
    changes = tuple(
        Change(nodeid, before[nodeid], after[nodeid])
        for nodeid in sorted(before.keys() & after.keys())
        if changed(before[nodeid], after[nodeid])
    )
    say(f"bisect: {len(steps)} step(s) in {time.monotonic() - started:.0f}s")
    return Answer(
        package, question, str(order[lo]), str(order[hi]), untested, changes, tuple(steps)
    )


def changed(before: Check, after: Check) -> bool:
    """Another outcome, or a failure that now says something else (``--match``)."""
    if before.outcome != after.outcome:
        return True
    return before.outcome == "failed" and gist(before.message)[:1] != gist(after.message)[:1]


def summary(answer: Answer) -> str:
    """The answer as a person reads it at the end of the run."""
    first, last = f"first {answer.question.new}", f"last {answer.question.old}"
    lines = [f"{first}: {answer.package} {answer.first_after}"]
    lines.append(f"{last}: {answer.package} {answer.last_before}")
    if answer.untested:
        lines.append(
            "untested between them (skipped): "
            + ", ".join(answer.untested)
            + f": the change is in one of these or in {answer.first_after}"
        )
    if answer.changes:
        lines.append(f"checks that changed from {answer.last_before} to {answer.first_after}:")
    for change in answer.changes:
        issues = f"  [known issue: {', '.join(change.after.known_issues)}]"
        lines.append(
            f"  {change.nodeid}: {change.before.outcome} -> {change.after.outcome}"
            + (issues if change.after.known_issues else "")
        )
        if change.before.outcome == change.after.outcome:
            lines += ["    was: " + line for line in gist(change.before.message)[:1]]
        lines += ["    " + line for line in gist(change.after.message or change.before.message)]
    return "\n".join(lines)


def gist(message: str) -> list[str]:
    """A failure's first line and its diagnosis' title, remedy and link: the step's log has
    the rest."""
    lines = [line.strip() for line in message.strip().splitlines()]
    kept = lines[:1] + [
        line for line in lines[1:] if line.startswith(("known issue [", "do:", "see:"))
    ]
    return list(dict.fromkeys(kept))
