"""The CI workflows and the tox cells, as files a tool reads."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def actionlint() -> str:
    found = shutil.which("actionlint") or str(Path(sys.executable).parent / "actionlint")
    if not Path(found).is_file():
        pytest.skip("needs actionlint (pip install -e '.[test]')")
    return found


def test_workflows_pass_actionlint() -> None:
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert [p.name for p in workflows] == ["nightly.yml", "pull-request.yml"]
    done = subprocess.run([actionlint(), *map(str, workflows)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    nightly = (ROOT / ".github" / "workflows" / "nightly.yml").read_text()
    for needed in (
        "schedule:",
        "workflow_dispatch:",
        "fail-fast: false",
        "actions/cache@",
        "GITHUB_STEP_SUMMARY",
        "upload-artifact",
    ):
        assert needed in nightly


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        textwrap.dedent("""
        on: push
        jobs:
          x:
            runs-on: ubuntu-latest
            steps:
              - run: echo ${{ matrix.nope }}
    """)
    )
    assert subprocess.run([actionlint(), str(broken)], capture_output=True).returncode != 0


def test_tox_cells_are_named_without_python_factors() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tox", "list", "--no-desc"], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0 and "No module named tox" in done.stderr:
        pytest.skip("needs tox (pip install -e '.[test]')")
    assert done.stdout.split() == [
        "lint",
        "plugin",
        "tf215",
        "tf216-keras3",
        "tf216-legacy",
        "tflatest-keras3",
        "tflatest-legacy",
        "torch",
        "tf215-nuitkaoldest",
        "tf216-legacy-nuitkaoldest",
        "tf215-nuitka248",
        "tf216-legacy-nuitka248",
        "tflatest-keras3-python3.12",
        "tflatest-keras3-python3.13",
    ]
