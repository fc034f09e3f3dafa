"""The plugin layer: the only part of pytest-nuitka that speaks pytest.

Options, the ``nuitka`` fixture, zoo items and markers hand off to the library (build, run,
check, zoo), and its outcomes become pytest's: ``NotRun`` a skip, ``CheckFailed`` a failure
shown as its message, kept with its runs (``evidence``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from pytest_nuitka.base import host, process
from pytest_nuitka.base.environment import header_line
from pytest_nuitka.base.errors import BuildError, CheckFailed, NotRun, NuitkaPluginError, printable
from pytest_nuitka.cache import evidence
from pytest_nuitka.cache.local import PRUNE_GRACE_SECONDS, Kept
from pytest_nuitka.check import tally
from pytest_nuitka.check.diagnose import DiagnosedFailure
from pytest_nuitka.compile.builder import Builder, BuildStats
from pytest_nuitka.compile.compilers import Compiler, NuitkaCompiler
from pytest_nuitka.plugin import hookspecs as hooks
from pytest_nuitka.plugin import markers, remedies
from pytest_nuitka.plugin.fixture import BUILDER, SCHEDULER, nuitka
from pytest_nuitka.plugin.items import LOOKAHEAD, CaseFile, ExpectedIssue, Lookahead
from pytest_nuitka.plugin.options import add_options, read_settings, results_file
from pytest_nuitka.plugin.results import (
    BOTH_FAILED_PROPERTY,
    KNOWN_ISSUES_PROPERTY,
    ResultsRecorder,
)
from pytest_nuitka.run.scheduler import RunStats, Scheduler, default_slots
from pytest_nuitka.zoo.manifest import MANIFEST_NAME

BOTH_FAILED = pytest.StashKey[list[str]]()
BOTH_FAILING = pytest.StashKey["BothFailing"]()
WORKER_OUTPUT = "pytest_nuitka_stats"
WORKER_RUNS = "pytest_nuitka_runs"
# pytest-xdist's modes that send every item of a file (a case) to one worker
WHOLE_CASE = ("loadfile", "loadscope")


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hooks)


def pytest_configure(config: pytest.Config) -> None:
    process.guard_interrupts()  # Ctrl-C stops the runs in flight (worker threads included)
    settings = read_settings(config)
    why = host.unsupported()
    if settings.compile and why:
        raise pytest.UsageError(f"--nuitka-compile: {why}. Run it on Linux (or in WSL)")
    workerinput = getattr(config, "workerinput", None)
    run_id = workerinput["testrunuid"] if workerinput else uuid.uuid4().hex

    def compiler() -> Compiler:
        chosen: Compiler | None = config.hook.pytest_nuitka_compiler(config=config)
        return chosen or NuitkaCompiler()

    def say(line: str) -> None:
        terminal = config.pluginmanager.get_plugin("terminalreporter")
        capture = config.pluginmanager.get_plugin("capturemanager")
        if terminal is None or workerinput:
            return
        if capture is None:
            terminal.write_line(line)
            return
        with capture.global_and_fixture_disabled():
            terminal.write_line(line)

    def shown(path: Path) -> str:
        return _shown(path, config.rootpath)

    config.stash[BOTH_FAILING] = BothFailing()
    config.pluginmanager.register(config.stash[BOTH_FAILING], "nuitka-both-failing")
    config.stash[BUILDER] = Builder(settings, compiler, run_id, say, shown)
    config.add_cleanup(config.stash[BUILDER].cache.release)  # after the runs (LIFO)
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) if workerinput else 1
    scheduler = Scheduler(settings.jobs or default_slots(workers))
    config.stash[SCHEDULER] = scheduler
    config.add_cleanup(scheduler.close)
    config.addinivalue_line(
        "markers",
        "nuitka_requires(*conditions): skip unless every condition holds, e.g. "
        "'tensorflow>=2.16', '!torch', 'env:TF_USE_LEGACY_KERAS=1'",
    )
    config.addinivalue_line(
        "markers",
        "nuitka_known_issue(issue, *conditions): strict expected failure where every "
        "condition holds",
    )
    try:
        results = results_file(config.getoption("nuitka_results"))
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    if results and not workerinput:
        config.pluginmanager.register(ResultsRecorder(Path(results)), "nuitka-results")
    if config.pluginmanager.hasplugin("xdist") and not workerinput:
        controller = XdistController(config.stash[BUILDER].stats, scheduler.stats)
        config.pluginmanager.register(controller)


class XdistController:
    """Registered only with pytest-xdist: folds the workers' build counts into ours."""

    def __init__(self, stats: BuildStats, runs: RunStats) -> None:
        self.stats = stats
        self.runs = runs

    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        output = getattr(node, "workeroutput", {})
        self.stats.merge(output.get(WORKER_OUTPUT, {}))
        self.runs.merge(output.get(WORKER_RUNS, {}))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The version markers: conditions over installed distributions and the environment."""
    for item in items:
        for mark in item.iter_markers("nuitka_requires"):
            markers.require(item, markers.checked(item, mark.args), os.environ)
        for mark in item.iter_markers("nuitka_known_issue"):
            issue, *conditions = mark.args
            markers.expect(item, issue, markers.checked(item, conditions), os.environ)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """The library's "cannot run here" is pytest's skip; a diagnosed failure, with
    --nuitka-try-remedy, says what its remedy did; checks that passed on both sides failing
    the same way are noted on the item."""
    try:
        with tally.watching() as both_failed:
            try:
                return (yield)
            finally:
                item.stash[BOTH_FAILED] = list(both_failed)
    except NotRun as reason:
        pytest.skip(str(reason))
    except DiagnosedFailure as failure:
        if not item.config.stash[BUILDER].settings.try_remedy or isinstance(failure, ExpectedIssue):
            raise
        verdict = remedies.attempt(item, failure)
        if verdict is None:
            raise
        raise DiagnosedFailure(
            f"{failure.msg}\n\n{verdict}", failure.diagnoses, failure.folders
        ) from None


def pytest_collection_finish(session: pytest.Session) -> None:
    """The zoo's runs start ahead of their items. Under pytest-xdist, the workers share the
    cases out: a case's runs start together only where its items go to one worker."""
    config = session.config
    workerinput = getattr(config, "workerinput", None)
    dist = getattr(config.option, "dist", "no")
    lookahead = Lookahead(session.items, whole_case=not workerinput or dist in WHOLE_CASE)
    config.stash[LOOKAHEAD] = lookahead
    if not workerinput:
        config.stash[SCHEDULER].feed = lookahead.feed


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """A cache inside the project holds copies of its sources (and their tests): never
    collected."""
    cache, path = config.stash[BUILDER].settings.cache_dir, collection_path.resolve()
    return True if path == cache or cache in path.parents else None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.name == MANIFEST_NAME:
        case: CaseFile = CaseFile.from_parent(parent, path=file_path)  # typed so from pytest 8.1
        return case
    return None


def pytest_report_header(config: pytest.Config) -> str:
    slots = config.stash[SCHEDULER].slots
    return f"{header_line(str(config.stash[BUILDER].settings.cache_dir))}, {slots} run(s) at once"


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[WORKER_OUTPUT] = session.config.stash[BUILDER].stats.as_dict()
        workeroutput[WORKER_RUNS] = session.config.stash[SCHEDULER].stats.as_dict()


class BothFailing:
    """Counts the passes on both sides failing the same way where reports arrive (in the
    controller too, under pytest-xdist)."""

    def __init__(self) -> None:
        self.nodeids: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        passed = report.when == "call" and report.passed
        if passed and any(name == BOTH_FAILED_PROPERTY for name, _ in report.user_properties):
            self.nodeids.append(report.nodeid)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    builder = config.stash[BUILDER]
    runs = config.stash[SCHEDULER].stats
    if builder.settings.compile:
        terminalreporter.write_line(builder.stats.summary())
    if builder.settings.compile or runs.runs:
        terminalreporter.write_line(f"nuitka: {runs.summary()}")
    both_failing = config.stash[BOTH_FAILING].nodeids
    if both_failing:
        terminalreporter.write_line(
            f"nuitka: {len(both_failing)} passed with both sides failing the same way"
        )


@pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: sees the outcome after xfail
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" and report.passed and item.stash.get(BOTH_FAILED, None):
        report.user_properties.append((BOTH_FAILED_PROPERTY, item.stash[BOTH_FAILED]))
    try:
        shown = shown_failure(item, call, report)
        shown = None if shown is None else shown + where(item, call)
    except Exception as error:  # never an INTERNALERROR: the failure stands as pytest shows it
        report.sections.append(
            ("pytest-nuitka", f"the failure could not be shown in full: {error!r}")
        )
        shown = None
    if shown is not None:
        report.longrepr = printable(shown)
    return report


def where(item: pytest.Item, call: pytest.CallInfo[None]) -> str:
    """Where in the test it failed, as ``--tb`` asks: by default the test's own line; with
    ``--tb=short``, ``long`` or ``native`` every frame outside the plugin, and inside it too
    for ``long``/``native``."""
    assert call.excinfo is not None
    style = item.config.getoption("tbstyle", "auto")
    if style in ("no", "line"):
        return ""
    package = str(Path(__file__).parent.parent)
    frames = [
        entry
        for entry in call.excinfo.traceback
        if style in ("long", "native") or not str(entry.path).startswith(package)
    ]
    if style == "auto":
        frames = [entry for entry in frames if entry.path == item.path][-1:]
    lines = []
    for entry in frames:
        try:
            statement = str(entry.statement).strip().splitlines()[0]
        except (IndexError, OSError):
            statement = ""
        at = f"{_shown(Path(entry.path), item.config.rootpath)}:{entry.lineno + 1}"
        lines.append(f"{at}: in {entry.name}\n    {statement}")
    return "\n\n" + "\n".join(lines) if lines else ""


def _shown(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def shown_failure(
    item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport
) -> str | None:
    """Our failures as their message alone (with the runs kept), or None for pytest's own."""
    if call.excinfo is None:
        return None
    error = call.excinfo.value
    if isinstance(error, DiagnosedFailure):
        report.user_properties.append(
            (KNOWN_ISSUES_PROPERTY, [d.issue.id for d in error.diagnoses])
        )
        if report.failed and error.folders:
            return keep_evidence(item, error)
    if isinstance(error, CheckFailed):
        return str(error)  # the message says it all
    if isinstance(error, NuitkaPluginError):
        return f"{call.excinfo.typename}: {error}"
    return None


def keep_evidence(item: pytest.Item, failure: DiagnosedFailure) -> str:
    """The failure's message, its paths moved to a copy that outlives pytest's basetemp."""
    cache = item.config.stash[BUILDER].cache
    try:
        cache.secure()
        kept, message = evidence.keep(
            cache.base / Kept.EVIDENCE, item.nodeid, failure.folders, str(failure.msg)
        )
        if cache.max_bytes is not None:  # evidence counts toward the cache's size, as builds do
            cache.prune(cache.max_bytes, grace=PRUNE_GRACE_SECONDS, keep=kept)
    except (OSError, BuildError, UnicodeError) as error:
        return f"{failure.msg}\n\n(the runs' folders were not kept: {error})"
    return f"{message}\n\nkept until pruned (python -m pytest_nuitka.cache --prune SIZE): {kept}"


__all__ = ["nuitka"]  # the fixture, registered with the plugin
