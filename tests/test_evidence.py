"""A failure's runs kept as evidence: a private copy per failure, links kept as links, what
cannot be copied named, the message pointing at the copies, three kept per test."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from pytest_nuitka.check import evidence


def test_a_failure_is_kept_privately_with_its_links_and_its_message(tmp_path: Path) -> None:
    runs = tmp_path / "basetemp" / "app1-1-script"
    (runs / "cwd").mkdir(parents=True)
    (runs / "stdout.txt").write_text("hi\n")
    os.symlink("/etc/hostname", runs / "cwd" / "link")
    os.mkfifo(runs / "cwd" / "pipe")
    root = tmp_path / "cache" / "evidence"
    nodeid = "tests/test_a.py::test_b[鸟类]"
    kept, message = evidence.keep(root, nodeid, [runs], f"failed, see {runs}/stdout.txt")
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE(kept.stat().st_mode) == 0o700
    assert re.fullmatch(r"\d{8}-\d{6}-\d{9}-" + re.escape(evidence.slug(nodeid)), kept.name)
    assert (kept / runs.name / "stdout.txt").read_text() == "hi\n"
    assert os.readlink(kept / runs.name / "cwd" / "link") == "/etc/hostname"
    assert not (kept / runs.name / "cwd" / "pipe").exists()
    assert message == (
        f"failed, see {kept / runs.name}/stdout.txt\n\n"
        "not kept (not regular files, or unreadable):\n"
        f"  {runs / 'cwd' / 'pipe'}: a FIFO"
    )
    assert (kept / evidence.MESSAGE).read_text(encoding="utf-8") == f"{nodeid}\n\n{message}\n"


def test_three_failures_of_a_test_are_kept_and_the_others_go(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    root = tmp_path / "evidence"
    kept = [evidence.keep(root, "t.py::test_x", [runs], "m")[0] for _ in range(5)]
    other = evidence.keep(root, "t.py::test_y", [runs], "m")[0]
    left = sorted(p for p in root.iterdir())
    assert left == sorted([*kept[-evidence.PER_TEST :], other])
    assert len(kept) == 5 and len(set(kept)) == 5


@pytest.mark.parametrize(
    ("nodeid", "start"),
    [("tests/a.py::test_b", "tests_a.py_test_b-"), ("__x__", "x-"), ("a" * 100, "a" * 80 + "-")],
)
def test_a_slug_reads_as_the_test_and_tells_look_alikes_apart(nodeid: str, start: str) -> None:
    made = evidence.slug(nodeid)
    assert made.startswith(start) and len(made) == len(start) + 8
    assert evidence.slug(nodeid + "!") != made
