from __future__ import annotations

import json
import os
import signal
from collections.abc import Generator
from pathlib import Path
from typing import Protocol, cast

import pytest

TESTS = Path(__file__).parent
ROOT = TESTS.parent
APPS = TESTS / "apps"
# pytester moves HOME; Nuitka's and ccache's caches stay where the user's builds keep them.
USER_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


# Tiers, by what a test costs (README, "Test tiers"): `-m unit` runs in seconds, `-m "not real"`
# is the fast tier, and `--nuitka-compile -m real` the tests that need the real Nuitka or a
# real framework. A test is put in its tier by the fixtures it uses, or by `pytest.mark.real`.
TIERS = {
    "unit": "the library alone: no inner pytest session, no compiler, no framework",
    "plugin": "inner pytest sessions (pytester) with the stand-in compiler",
    "real": "the real Nuitka or a real framework (builds and imports take seconds to minutes)",
}
REAL_FIXTURES = {"nuitka", "nuitka_run", "real_build"}
NEEDS_COMPILE = "the binary side needs --nuitka-compile"


def default_sigint() -> None:
    """For a child a test interrupts with SIGINT (``preexec_fn``): Ctrl-C as a terminal
    gives it, wherever this suite runs. A shell that starts a job in the background (``nohup
    ... &``, a CI runner's) leaves SIGINT ignored for the whole tree, and Python then installs
    no KeyboardInterrupt handler, so the signal would do nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def pytest_configure(config: pytest.Config) -> None:
    for name, what in TIERS.items():
        config.addinivalue_line("markers", f"{name}: test tier: {what}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("real") or fixtures & REAL_FIXTURES:
            item.add_marker(pytest.mark.real)
        elif "pytester" in fixtures:
            item.add_marker(pytest.mark.plugin)
        else:
            item.add_marker(pytest.mark.unit)
    if "__mutmut_" in os.environ.get("MUTANT_UNDER_TEST", ""):
        # mutmut runs a mutant's tests with -x: the unit tests first, then the others by the
        # time each took when mutmut measured them, so that most mutants fall in a second
        # and the rest after the cheapest inner sessions, not the dearest.
        stats = config.rootpath / "mutmut-stats.json"
        took = json.loads(stats.read_text())["duration_by_test"] if stats.is_file() else {}
        items.sort(
            key=lambda item: (item.get_closest_marker("unit") is None, took.get(item.nodeid, 0))
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A test that needs the real Nuitka but is not in the real tier would silently vanish
    from `-m real`: fail it, so its tier is fixed where it is written."""
    report = yield
    if (
        report.skipped
        and NEEDS_COMPILE in str(report.longrepr)
        and not item.get_closest_marker("real")
    ):
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid} needs --nuitka-compile: mark it pytest.mark.real"
    return report


class PluginRun(Protocol):
    """The ``plugin_run`` fixture: an inner session, and the build cache it uses."""

    cache: Path

    def __call__(self, *args: str, subprocess: bool = False) -> pytest.RunResult: ...


class NuitkaRun(Protocol):
    """The ``nuitka_run`` fixture: an inner session with the real Nuitka."""

    def __call__(
        self, *args: str, cache: Path | None = None, subprocess: bool = False
    ) -> pytest.RunResult: ...


@pytest.fixture
def plugin_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> PluginRun:
    """Run an inner pytest session with the stand-in compiler and a private cache."""
    pytester.syspathinsert(TESTS)
    monkeypatch.setenv("PYTHONPATH", str(TESTS))
    cache = tmp_path / "build-cache"

    def run(*args: str, subprocess: bool = False) -> pytest.RunResult:
        argv = [
            "-p",
            "standin",
            "-W",
            "ignore::pytest.PytestAssertRewriteWarning",
            f"--nuitka-cache-dir={cache}",
            "-p",
            "no:cacheprovider",
            *args,
        ]
        if subprocess:
            return pytester.runpytest_subprocess(*argv)
        return pytester.runpytest(*argv)

    # mypy cannot type an attribute set on a function: the cast declares the protocol.
    runner = cast(PluginRun, run)
    runner.cache = cache
    return runner


@pytest.fixture
def nuitka_run(
    pytester: pytest.Pytester, pytestconfig: pytest.Config, monkeypatch: pytest.MonkeyPatch
) -> NuitkaRun:
    """Run an inner pytest session with the real Nuitka, sharing this session's build cache
    unless told otherwise. Skipped without --nuitka-compile, like every binary test."""
    from pytest_nuitka.plugin.fixture import BUILDER

    settings = pytestconfig.stash[BUILDER].settings
    if not settings.compile:
        pytest.skip(NEEDS_COMPILE)
    monkeypatch.setenv("CCACHE_DIR", os.environ.get("CCACHE_DIR", str(USER_CACHE / "ccache")))
    monkeypatch.setenv(
        "NUITKA_CACHE_DIR", os.environ.get("NUITKA_CACHE_DIR", str(USER_CACHE / "Nuitka"))
    )

    def run(*args: str, cache: Path | None = None, subprocess: bool = False) -> pytest.RunResult:
        argv = [
            "--nuitka-compile",
            f"--nuitka-cache-dir={cache or settings.cache_dir}",
            "-p",
            "no:cacheprovider",
            "-W",
            "ignore::pytest.PytestAssertRewriteWarning",
            *args,
        ]
        if subprocess:
            return pytester.runpytest_subprocess(*argv)
        return pytester.runpytest(*argv)

    return run
