from __future__ import annotations

import os
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
APPS = TESTS / "apps"
# pytester moves HOME; Nuitka's and ccache's caches stay where the user's builds keep them.
USER_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


@pytest.fixture
def plugin_run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
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

    run.cache = cache  # type: ignore[attr-defined]
    return run


@pytest.fixture
def nuitka_run(
    pytester: pytest.Pytester, pytestconfig: pytest.Config, monkeypatch: pytest.MonkeyPatch
):
    """Run an inner pytest session with the real Nuitka, sharing this session's build cache
    unless told otherwise. Skipped without --nuitka-compile, like every binary test."""
    from pytest_nuitka.plugin.fixture import BUILDER

    settings = pytestconfig.stash[BUILDER].settings
    if not settings.compile:
        pytest.skip("the binary side needs --nuitka-compile")
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
