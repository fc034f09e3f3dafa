"""A failure's runs kept as evidence: a private copy per failure, links kept as links, what
cannot be copied named, the message pointing at the copies, three kept per test."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_nuitka.cache import evidence
from pytest_nuitka.cache.local import PARTIAL


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


def test_the_newest_failures_are_kept_when_they_fall_in_one_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within a second the folders sort by the nanosecond, whatever the clock reads."""
    runs = tmp_path / "runs"
    runs.mkdir()
    clock = iter(n + 7_073_843_083 for n in (-3000, -2000, -1000, 0))
    monkeypatch.setattr(time, "strftime", lambda _: "20261205-101500")
    monkeypatch.setattr(time, "time_ns", lambda: next(clock))
    kept = [evidence.keep(tmp_path / "e", "t.py::test_x", [runs], f"{i}")[0] for i in range(4)]
    left = sorted((tmp_path / "e").iterdir())
    assert [(p / evidence.MESSAGE).read_text().split()[-1] for p in left] == ["1", "2", "3"]
    assert left == kept[1:]


@pytest.mark.parametrize(
    ("nodeid", "start"),
    [
        ("tests/a.py::test_b", "tests_a.py_test_b-"),
        ("__x__", "x-"),
        ("a" * 100, "a" * 80 + "-"),
        ("T.py::Test_B[x=1]", "T.py_Test_B_x=1-"),
    ],
)
def test_a_slug_reads_as_the_test_and_tells_look_alikes_apart(nodeid: str, start: str) -> None:
    made = evidence.slug(nodeid)
    assert made.startswith(start) and len(made) == len(start) + 8
    assert evidence.slug(nodeid + "!") != made


def test_pruning_passes_over_what_is_not_a_finished_failure_folder(tmp_path: Path) -> None:
    """A failure another session is still writing, a file and a link named like one: none
    is pruned, and none takes the place of a failure kept."""
    runs = tmp_path / "runs"
    runs.mkdir()
    root = tmp_path / "evidence"
    name = evidence.slug("t.py::test_x")
    root.mkdir()
    writing = root / f"{PARTIAL}00000000-000000-000000000-{name}"
    writing.mkdir()
    (root / f"99999999-999999-999999999-{name}").write_text("not a folder")
    (root / f"99999999-999999-999999998-{name}").symlink_to(runs)
    kept = [evidence.keep(root, "t.py::test_x", [runs], "m")[0] for _ in range(4)]
    assert writing.is_dir()
    assert sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()) == sorted(
        [writing, *kept[-evidence.PER_TEST :]]
    )


def test_a_folder_another_session_pruned_first_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    root = tmp_path / "evidence"
    kept = [evidence.keep(root, "t.py::test_x", [runs], "m")[0] for _ in range(evidence.PER_TEST)]
    real = shutil.rmtree

    def raced(path: Path, *args: object, **kwargs: object) -> None:
        real(path)  # the other session's prune
        real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(shutil, "rmtree", raced)
    newest, _ = evidence.keep(root, "t.py::test_x", [runs], "m")
    assert sorted(root.iterdir()) == [*kept[1:], newest]


def test_the_message_is_written_as_utf8_whatever_the_locale(tmp_path: Path) -> None:
    """An ASCII locale (LC_ALL=C without UTF-8 mode), as on a bare CI runner or a Windows
    code page that lacks the characters: the message file is UTF-8 all the same."""
    nodeid, message = "test_鸟类.py::test_识别", "失败"
    code = (  # the command line of an ASCII locale holds no other characters
        "import sys; from pathlib import Path; from pytest_nuitka.cache import evidence; "
        f"evidence.keep(Path(sys.argv[1]), {nodeid!a}, [], {message!a})"
    )
    env = {
        **os.environ,
        "LC_ALL": "C",
        "PYTHONUTF8": "0",
        "PYTHONCOERCECLOCALE": "0",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONPATH": os.pathsep.join(sys.path),  # this package, as this test imports it
    }
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    (kept,) = tmp_path.iterdir()
    assert (kept / evidence.MESSAGE).read_text(encoding="utf-8") == f"{nodeid}\n\n{message}\n"
