from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import default_sigint
from pytest_nuitka.base import process
from pytest_nuitka.check import compare
from pytest_nuitka.run.runs import Invocation
from pytest_nuitka.run.runs import run as run_once


def test_timeout_kills_children_that_left_the_group(tmp_path: Path) -> None:
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


def test_flood_is_capped_and_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process, "MAX_CAPTURE", 1000)
    code = "import sys; sys.stdout.buffer.write(b'x' * 5000); sys.stderr.write('e' * 1500)"
    done = process.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=os.environ, stdin=None, timeout=30
    )
    assert (len(done.stdout), done.dropped_bytes) == (1000, 4500)
    out, err = done.stdout_stream, done.stderr_stream
    assert (out.total, out.dropped) == (5000, 4000)
    assert (err.total, err.dropped, done.stderr) == (1500, 500, b"e" * 1000)
    assert out.sha256 == hashlib.sha256(b"x" * 5000).hexdigest()
    assert out.dropped_sha256 == hashlib.sha256(b"x" * 4000).hexdigest()
    assert err.dropped_sha256 == hashlib.sha256(b"e" * 500).hexdigest()


def test_two_sides_that_differ_only_past_the_cap_differ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Prefixes equal, tails not: today's cap would have hidden it (issue 11, point 4)."""
    monkeypatch.setattr(process, "MAX_CAPTURE", 1000)
    runs = {}
    for side, last in (("script", "a"), ("binary", "b")):
        invocation = Invocation((), None, {}, (), 30)
        code = f"import sys; sys.stdout.write('x' * 3000 + {last!r})"
        runs[side] = run_once(side, [sys.executable, "-c", code], [], invocation, tmp_path / side)
    script, binary = runs["script"], runs["binary"]
    assert script.stdout == binary.stdout  # the kept prefixes match
    (difference,) = compare.check_stdout(script, binary)
    assert difference.title == "stdout (past the capture limit)"
    assert "script: 2001 bytes after the first 1000" in difference.detail
    rendered = compare.render("t", [difference], script, binary)
    assert "not kept: 2001 of 3001 bytes of stdout, 0 of 0 bytes of stderr" in rendered
    same = run_once("binary", [sys.executable, "-c", code], [], invocation, tmp_path / "again")
    assert compare.check_stdout(binary, same) == []  # equal tails pass


def test_a_program_that_cannot_start_raises_as_popen_would(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no-such-program-here"):
        process.run(["no-such-program-here"], cwd=tmp_path, env=os.environ, stdin=None, timeout=30)
    with pytest.raises(FileNotFoundError):
        process.run(["true"], cwd=tmp_path / "missing", env=os.environ, stdin=None, timeout=30)


def test_the_child_gets_exactly_the_environment_and_a_large_stdin(tmp_path: Path) -> None:
    env = {"PATH": os.environ["PATH"], "ONLY": "a=b c", "EMPTY": ""}
    code = (
        "import os, sys; data = sys.stdin.buffer.read(); sys.stdout.buffer.write(data)\n"
        "print(sorted((k, v) for k, v in os.environ.items() if k != 'LC_CTYPE'), file=sys.stderr)"
    )
    data = os.urandom(3 << 20)  # more than a pipe holds, both ways at once
    done = process.run([sys.executable, "-c", code], cwd=tmp_path, env=env, stdin=data, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == data
    assert done.stderr.decode().strip() == str(sorted(env.items()))


def test_stdin_is_fed(tmp_path: Path) -> None:
    done = process.run(
        [sys.executable, "-c", "import sys; print(sys.stdin.read()[::-1])"],
        cwd=tmp_path,
        env=os.environ,
        stdin=b"abc",
        timeout=30,
    )
    assert done.stdout.strip() == b"cba" and done.returncode == 0


def test_peak_memory_of_the_child_is_measured(tmp_path: Path) -> None:
    def peak(megabytes: int) -> int:
        code = f"block = bytearray({megabytes} << 20); block[::4096] = b'x' * len(block[::4096])"
        done = process.run(
            [sys.executable, "-c", code], cwd=tmp_path, env=os.environ, stdin=None, timeout=30
        )
        assert done.returncode == 0
        return done.max_rss_kb

    small, large = peak(1), peak(200)
    # kB. The child is forked from the small supervisor, not from pytest, so a small child
    # reads a small peak; the 200 MB the large one touched must show in full.
    assert large >= 200 * 1024 > 60 * 1024 > small


def alive_with(marker: str) -> list[int]:
    """Processes (not zombies) whose argv or environment carries ``marker``."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            seen = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
            if marker.encode() in seen and process.running(int(entry.name)):
                found.append(int(entry.name))
    return found


def gone(marker: str, within: float = 5.0) -> list[int]:
    """Waits up to ``within`` seconds for every process carrying ``marker`` to end; returns
    (and kills, so a failing test leaves nothing behind) those that did not."""
    deadline = time.monotonic() + within
    while (left := alive_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return left


DAEMON = """
import os, sys, time
print("before the fork", flush=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(600)  # the daemon: keeps stdout and stderr open
    os._exit(0)
os.wait()
print("after the fork", flush=True)
sys.stderr.write("done\\n")
"""


def test_a_double_forked_daemon_neither_stalls_the_run_nor_survives_it(tmp_path: Path) -> None:
    marker = f"pytest-nuitka-daemon-{uuid.uuid4().hex}"
    done = process.run(
        [sys.executable, "-c", DAEMON, marker],
        cwd=tmp_path,
        env=os.environ,
        stdin=None,
        timeout=60,
    )
    left = gone(marker, within=3)
    assert (done.returncode, done.timed_out) == (0, False)
    assert done.stdout == b"before the fork\nafter the fork\n"
    assert done.stderr == b"done\n"
    assert done.seconds < 3, "the run waited for the daemon"
    assert left == [], "the daemon outlived the run"


# A stand-in for a pytest session: runs a child that double-forks a daemon and sleeps, in the
# main thread or (as run_both does) in two worker threads, with Ctrl-C guarded as the plugin
# guards it.
HOST = """
import os, sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from pytest_nuitka.base import process

marker, threads = sys.argv[1], sys.argv[2] == "threads"
code = '''
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(600)
    os._exit(0)
time.sleep(600)
'''
argv = [sys.executable, "-c", code, marker]
process.guard_interrupts()
def one(_):
    return process.run(argv, cwd=Path.cwd(), env=os.environ, stdin=None, timeout=600)
if threads:
    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(one, n) for n in range(2)]
        [f.result() for f in futures]
else:
    one(0)
"""


def start_host(tmp_path: Path, threads: bool, expected: int) -> tuple[subprocess.Popen[bytes], str]:
    """Starts HOST in a process group of its own and waits until its trees are up: per run,
    the supervisor, the app and the daemon."""
    marker = f"pytest-nuitka-host-{uuid.uuid4().hex}"
    host = subprocess.Popen(
        [sys.executable, "-c", HOST, marker, "threads" if threads else "main"],
        cwd=tmp_path,
        start_new_session=True,
        preexec_fn=default_sigint,
    )
    deadline, steady_since = time.monotonic() + 30, None
    # Each daemon's parent lives a moment after forking it: count until the number holds.
    while time.monotonic() < deadline:
        count = len(set(alive_with(marker)) - {host.pid})
        if count != expected:
            steady_since = None
        elif steady_since is None:
            steady_since = time.monotonic()
        elif time.monotonic() - steady_since > 0.5:
            return host, marker
        time.sleep(0.05)
    os.killpg(host.pid, signal.SIGKILL)  # leave nothing behind for the next test
    gone(marker, within=5)
    raise AssertionError(f"its children did not start: {count} of {expected}")


@pytest.mark.parametrize(
    ("how", "threads"),
    [
        ("SIGKILL to pytest", False),
        ("SIGKILL to pytest's process group", True),
        ("SIGTERM to pytest", True),
        ("SIGTERM to pytest's process group", False),
        ("Ctrl-C (SIGINT to the process group)", False),
        ("Ctrl-C (SIGINT to the process group)", True),
    ],
)
def test_a_killed_or_interrupted_session_leaves_no_process(
    tmp_path: Path, how: str, threads: bool
) -> None:
    host, marker = start_host(tmp_path, threads, expected=6 if threads else 3)
    number = {"SIGKILL": signal.SIGKILL, "SIGTERM": signal.SIGTERM}.get(how[:7], signal.SIGINT)
    if "group" in how:
        os.killpg(host.pid, number)
    else:
        os.kill(host.pid, number)
    started = time.monotonic()
    left = gone(marker, within=5)
    assert left == [], f"{how}: survived"
    host.wait(10)  # an interrupted session ends at once, not when its runs would have
    assert time.monotonic() - started < 10


def test_a_time_limit_shorter_than_the_start_is_a_timeout(tmp_path: Path) -> None:
    done = process.run(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        cwd=tmp_path,
        env=os.environ,
        stdin=None,
        timeout=0.001,
    )
    assert done.timed_out and done.returncode == -signal.SIGKILL


def test_a_build_log_gets_the_output_and_no_daemon_writes_to_it_later(tmp_path: Path) -> None:
    """The build path (``stdout_file``): Nuitka's log, stdout and stderr together."""
    marker = f"pytest-nuitka-daemon-{uuid.uuid4().hex}"
    late = DAEMON.replace("time.sleep(600)", "time.sleep(1); print('late', flush=True)")
    with (tmp_path / "log").open("wb") as log:
        done = process.run(
            [sys.executable, "-c", late, marker],
            cwd=tmp_path,
            env=os.environ,
            stdin=None,
            timeout=60,
            stdout_file=log,
        )
    assert gone(marker, within=0) == []
    time.sleep(1.5)
    assert done.returncode == 0
    assert (tmp_path / "log").read_bytes() == b"before the fork\nafter the fork\ndone\n"


def test_the_interrupt_tests_pass_where_sigint_is_ignored(tmp_path: Path) -> None:
    """A CI runner or `nohup ... &` starts the suite with SIGINT ignored for the whole tree:
    the Ctrl-C tests set the disposition they test in the processes they start."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            f"{Path(__file__)}",
            "-k",
            "Ctrl and not ignored",
        ],
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout
