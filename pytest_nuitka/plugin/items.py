"""Model zoo cases (``nuitka-case.toml``) collected as pytest items, one per check, with the
case's conditions and expectations as markers."""

from __future__ import annotations

import fnmatch
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_nuitka.check import diagnose
from pytest_nuitka.plugin.fixture import BUILDER, nuitka_for
from pytest_nuitka.plugin.markers import expect, require
from pytest_nuitka.session import Nuitka
from pytest_nuitka.settings import Mode
from pytest_nuitka.zoo.cases import CaseState, case_checks
from pytest_nuitka.zoo.manifest import ManifestError, load_case

ZOO_FOLDER = pytest.StashKey[Path]()


class ExpectedIssue(diagnose.DiagnosedFailure):
    """The failure an xfail expectation predicted, diagnosed as the issue it names."""


class CaseItem(pytest.Item):
    def __init__(
        self, *, state: CaseState, check: Callable[[], None], mode: Mode, **kwargs: Any
    ) -> None:
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
        try:
            self.check()
        except diagnose.DiagnosedFailure as failure:
            if self.expected_diagnosis in {d.issue.id for d in failure.diagnoses}:
                raise ExpectedIssue(failure.msg, failure.diagnoses, failure.folders) from None
            raise

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
        config.add_cleanup(lambda: shutil.rmtree(config.stash[ZOO_FOLDER], ignore_errors=True))
    case = Path(tempfile.mkdtemp(prefix="case-", dir=config.stash[ZOO_FOLDER]))
    return nuitka_for(config, [config.rootpath], case)
