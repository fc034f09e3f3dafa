"""The plugin imports where the Linux-only modules do not (Windows, simulated here by making
``fcntl`` unimportable): a session that does not compile is not broken by it, a test that asks
for the ``nuitka`` fixture is skipped saying why, and ``--nuitka-compile`` is a usage error
that says what it needs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_nuitka.base import host

WITHOUT_FCNTL = """
import sys
sys.modules["fcntl"] = None  # as on Windows: any import of it fails
import pytest
sys.exit(pytest.main(sys.argv[1:]))
"""


def session(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (folder / "test_it.py").write_text(
        textwrap.dedent(
            """
            def test_plain():
                assert True

            def test_app(nuitka):
                nuitka.compile("app.py")
            """
        )
    )
    command = [sys.executable, "-c", WITHOUT_FCNTL, "-p", "no:cacheprovider", "-rs", *args]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120)


def test_without_fcntl_a_session_runs_and_the_fixture_says_why_it_skips(tmp_path: Path) -> None:
    done = session(tmp_path, f"--nuitka-cache-dir={tmp_path / 'cache'}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed, 1 skipped" in done.stdout
    assert "this Python has no fcntl module, which pytest-nuitka needs" in done.stdout


def test_without_fcntl_compiling_is_a_usage_error_that_says_what_it_needs(tmp_path: Path) -> None:
    done = session(tmp_path, "--nuitka-compile", f"--nuitka-cache-dir={tmp_path / 'cache'}")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    assert "--nuitka-compile: this Python has no fcntl module" in done.stderr
    assert "file locks on the build cache (fcntl)" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_other_systems_are_named(platform: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", platform)
    assert f"Linux only for now (this is {platform})" in str(host.unsupported())


def test_linux_with_fcntl_is_supported() -> None:
    assert host.unsupported() is None
