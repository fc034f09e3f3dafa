from __future__ import annotations

import os
import sys

from pytest_nuitka import process


def test_timeout_kills_children_that_left_the_group(tmp_path):
    code = (
        "import subprocess, sys, time\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'],"
        " start_new_session=True)\n"
        "print(p.pid, flush=True)\ntime.sleep(600)\n"
    )
    done = process.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=os.environ, stdin=None, timeout=5
    )
    assert done.timed_out
    assert not process.running(int(done.stdout.split()[0]))


def test_flood_is_capped_and_counted(tmp_path, monkeypatch):
    monkeypatch.setattr(process, "MAX_CAPTURE", 1000)
    code = "import sys; sys.stdout.buffer.write(b'x' * 5000)"
    done = process.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=os.environ, stdin=None, timeout=30
    )
    assert (len(done.stdout), done.dropped_bytes) == (1000, 4000)


def test_stdin_is_fed(tmp_path):
    done = process.run(
        [sys.executable, "-c", "import sys; print(sys.stdin.read()[::-1])"],
        cwd=tmp_path,
        env=os.environ,
        stdin=b"abc",
        timeout=30,
    )
    assert done.stdout.strip() == b"cba" and done.returncode == 0


def test_peak_memory_of_the_child_is_measured(tmp_path):
    def peak(megabytes: int) -> int:
        code = f"block = bytearray({megabytes} << 20); block[::4096] = b'x' * len(block[::4096])"
        done = process.run(
            [sys.executable, "-c", code], cwd=tmp_path, env=os.environ, stdin=None, timeout=30
        )
        assert done.returncode == 0
        return done.max_rss_kb

    small, large = peak(1), peak(200)
    # kB. A forked child starts as a copy of this process, so a small child reads at least
    # this process's size; the 200 MB the large one touched must show in full.
    assert large >= 200 * 1024 > small
