"""Model zoo cases (``nuitka-case.toml``) collected as pytest items, one per check, with the
case's conditions and expectations as markers."""

from __future__ import annotations

import fnmatch
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from pytest_nuitka.api.session import Nuitka
from pytest_nuitka.base.settings import Mode
from pytest_nuitka.check import diagnose
from pytest_nuitka.plugin.fixture import BUILDER, SCHEDULER, nuitka_for
from pytest_nuitka.plugin.markers import expect, require
from pytest_nuitka.zoo.cases import CaseState, Check, case_checks
from pytest_nuitka.zoo.manifest import ManifestError, load_case

ZOO_FOLDER = pytest.StashKey[Path]()
LOOKAHEAD = pytest.StashKey["Lookahead"]()


class ExpectedIssue(diagnose.DiagnosedFailure):
    """The failure an xfail expectation predicted, diagnosed as the issue it names."""


class CaseItem(pytest.Item):
    def __init__(self, *, state: CaseState, check: Check, mode: Mode, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state = state
        self.check = check
        self.mode = mode
        self.expected_diagnosis: str | None = None
        env = {**os.environ, **state.case.env}
        require(self, state.case.requires, env)
        for expectation in state.case.expectations:
            if mode not in expectation.modes:
                continue
            if not any(fnmatch.fnmatchcase(self.name, p) for p in expectation.checks):
                continue
            issue = expectation.issue
            raises = None
            if expectation.diagnosis:
                issue += f" [{expectation.diagnosis}]"
                raises = ExpectedIssue
            if expect(self, issue, expectation.when, env, expectation.outcome, raises):
                self.expected_diagnosis = expectation.diagnosis

    def runtest(self) -> None:
        lookahead = self.config.stash.get(LOOKAHEAD, None)
        if lookahead is None:
            self.state.start([self.check])
        else:
            lookahead.reached(self)
        try:
            self.check.run()
        except diagnose.DiagnosedFailure as failure:
            if self.expected_diagnosis in {d.issue.id for d in failure.diagnoses}:
                raise ExpectedIssue(failure.msg, failure.diagnoses, failure.folders) from None
            raise
        finally:
            if lookahead is not None:
                lookahead.current = None

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.state.case.folder.name}::{self.name}"


class CaseFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            case = load_case(self.path)
            state = CaseState(case, lambda: zoo_nuitka(self.config))
            mode = case.mode or self.config.stash[BUILDER].settings.mode
            regen = bool(self.config.getoption("nuitka_force_regen"))
            checks = case_checks(case, state, mode, regen)
        except ManifestError as error:
            raise self.CollectError(str(error)) from None
        for name, check in checks.items():
            yield CaseItem.from_parent(self, name=name, state=state, check=check, mode=mode)


def zoo_nuitka(config: pytest.Config) -> Nuitka:
    """The zoo's runs go to a folder of this session's, removed at its end (a failure keeps
    its runs in the cache's evidence/)."""
    if ZOO_FOLDER not in config.stash:
        config.stash[ZOO_FOLDER] = Path(tempfile.mkdtemp(prefix="pytest-nuitka-zoo-"))
        folder = config.stash[ZOO_FOLDER]

        def remove() -> None:
            config.stash[SCHEDULER].close()  # the runs started ahead write there until then
            shutil.rmtree(folder, ignore_errors=True)

        config.add_cleanup(remove)
    case = Path(tempfile.mkdtemp(prefix="case-", dir=config.stash[ZOO_FOLDER]))
    return nuitka_for(config, [config.rootpath], case)


class Lookahead:
    """Starts a case's runs before its items need them: every run the case's selected items
    need once the first is reached (``whole_case``; else the item's own), and, while a check
    waits with cores idle, the next case's (``feed``). Items still report in their order."""

    def __init__(self, items: Sequence[pytest.Item], whole_case: bool) -> None:
        self.whole_case = whole_case
        self._cases: dict[CaseState, list[Check]] = {}
        # How many tests of another kind come before each case item: a case is started
        # ahead only where none lies between, so that a test that prepares a file or sets
        # a variable still runs before the cases after it, as pytest orders them.
        self._others: dict[pytest.Item, int] = {}
        self._first: dict[CaseState, int] = {}
        others = 0
        for item in items:
            if not isinstance(item, CaseItem):
                others += 1
                continue
            self._others[item] = others
            if runnable(item):
                self._cases.setdefault(item.state, []).append(item.check)
                self._first.setdefault(item.state, others)
        for priority, state in enumerate(self._cases):
            state.priority = priority
        self._waiting = list(self._cases)
        self._started: set[CaseState] = set()
        self.current: CaseItem | None = None  # the case item running now

    def reached(self, item: CaseItem) -> None:
        """What the item's check waits for is started (its own runs, or its case's)."""
        self.current = item
        if not self.whole_case:
            item.state.start([item.check])
        elif item.state not in self._started:
            self._start(item.state, self._cases.get(item.state, [item.check]))

    def feed(self) -> bool:
        """Starts the next case not yet started; False when none is left, when the test that
        waits is not a case's (its own timing stays its own), or when a test of another
        kind comes before the next case."""
        while self._waiting and self.current is not None:
            state = self._waiting[0]
            if state in self._started:
                self._waiting.pop(0)
                continue
            if self._first[state] != self._others.get(self.current):
                return False  # a test of another kind runs first
            self._waiting.pop(0)
            self._start(state, self._cases[state])
            return True
        return False

    def _start(self, state: CaseState, checks: list[Check]) -> None:
        self._started.add(state)
        state.start(checks)


def runnable(item: pytest.Item) -> bool:
    """Whether pytest will run the item: not skipped, not an xfail told not to run."""
    if any(True for _ in item.iter_markers("skip")):
        return False
    if any(m.args and all(a is True for a in m.args) for m in item.iter_markers("skipif")):
        return False
    return all(m.kwargs.get("run", True) for m in item.iter_markers("xfail"))
