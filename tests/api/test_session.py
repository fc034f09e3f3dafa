"""The library without pytest: build, run and compare an app with the stand-in compiler in a
process where pytest cannot be imported. Only pytest_nuitka.plugin speaks pytest."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import TESTS

PROGRAM = """
import sys
sys.modules["pytest"] = None  # any import of pytest now fails
sys.modules["_pytest"] = None
sys.path.insert(0, {tests!r})

from pathlib import Path

from pytest_nuitka.compile.builder import Builder
from pytest_nuitka.check.diagnose import DiagnosedFailure
from pytest_nuitka.api.session import Nuitka
from pytest_nuitka.base.settings import Settings
from standin import StandInCompiler

root = Path({root!r})
(root / "app.py").write_text(
    "import os\\nprint('compiled' if os.environ.get('SIDE') == 'b' else 'same')\\n"
)
settings = Settings(compile=True, cache_dir=root / "cache")
builder = Builder(settings, StandInCompiler, "run1", print, lambda path: path.name)
counter = iter(range(1000))


def workdir(name):
    folder = root / "runs" / f"{{next(counter)}}-{{name}}"
    folder.mkdir(parents=True)
    return folder


app = Nuitka(settings, builder, [root], workdir).compile("app.py")
app.run_both().assert_match()
try:
    app.run_both(binary_env={{"SIDE": "b"}}).assert_match()
except DiagnosedFailure as failure:
    assert "+compiled" in str(failure), failure
else:
    raise AssertionError("a difference passed")
try:
    import pytest_nuitka.plugin  # noqa: F401
except ImportError:
    print("plugin needs pytest; library did not")
"""


def test_the_library_builds_runs_and_compares_without_pytest(tmp_path: Path) -> None:
    program = textwrap.dedent(PROGRAM).format(tests=str(TESTS), root=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "built app.py (accelerated)" in done.stdout  # the builder's progress line
    assert done.stdout.rstrip().endswith("plugin needs pytest; library did not")
