"""``--nuitka-try-remedy``: a failure whose known issue has a mechanical remedy is built again
with the remedy applied and its check rerun; the message then says whether the remedy fixes
it. The test still fails: the remedy belongs in its code, where a person reviews it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_nuitka.api.app import App
from pytest_nuitka.api.remedy import remedy_for
from pytest_nuitka.api.session import Nuitka
from pytest_nuitka.check.diagnose import DiagnosedFailure
from pytest_nuitka.plugin.items import CaseItem, zoo_nuitka
from pytest_nuitka.zoo.cases import CaseState, case_checks


def subject(item: pytest.Item) -> tuple[App, Nuitka, Callable[[], None]] | None:
    """The app that failed, the ``Nuitka`` its retry builds with, and the retry: a zoo
    check on a fresh case state, or the test function again (with the same fixtures)."""
    if isinstance(item, CaseItem):
        case = item.state.case
        nuitka = zoo_nuitka(item.config)
        state = CaseState(case, lambda: nuitka)
        return item.state.app(), nuitka, case_checks(case, state, item.mode, False)[item.name].run
    used = getattr(item, "funcargs", {}).get("nuitka")
    if isinstance(used, Nuitka) and used.last is not None:
        return used.last, used, item.runtest
    return None


def attempt(item: pytest.Item, failure: DiagnosedFailure) -> str | None:
    """What trying the remedy showed; None when there is no mechanical remedy to try."""
    found = subject(item)
    if found is None:
        return None
    app, nuitka, retry = found
    remedy = remedy_for(failure.diagnoses, app)
    if remedy is None:
        return None
    nuitka.remedy = remedy
    try:
        retry()
    except DiagnosedFailure as again:
        then = str(again.msg).splitlines()[0]
        return f"remedy tried, the check still fails: {remedy.said}\n  then: {then}"
    except (Exception, pytest.fail.Exception, pytest.skip.Exception) as error:
        return f"remedy could not be tried ({remedy.said}): {type(error).__name__}: {error}"
    finally:
        nuitka.remedy = None
    return f"remedy verified: {remedy.said}"
