"""Run a child with a time limit, under a supervisor that leaves no descendant alive.

Every child (script runs, binary runs, Nuitka builds) runs under :mod:`.supervise`, a child
subreaper of its own: when the child ends, times out, or pytest dies or is interrupted, its
whole tree is killed, daemons included, and the captured streams end with it. Output past
:data:`MAX_CAPTURE` is not kept but still counted and hashed, so a comparison sees it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

from pytest_nuitka.base import supervise
from pytest_nuitka.base.supervise import descendants, running

__all__ = [
    "MAX_CAPTURE",
    "Finished",
    "Stream",
    "descendants",
    "guard_interrupts",
    "run",
    "running",
]

# A flooding child must not exhaust the pytest process; what is past this (per stream) is
# counted and hashed, not kept.
MAX_CAPTURE = 32 * 1024 * 1024
# -I -S: no site, no user paths, no PYTHON* variables; the stdlib only, about 10 ms to start.
SUPERVISED = (sys.executable, "-I", "-S", str(Path(supervise.__file__)))
# The supervisor's own environment, given rather than inherited: a child made from the
# process's environ in a worker thread while the main thread sets a variable (pytest sets
# PYTEST_CURRENT_TEST at every phase, and setenv may move the array) can fail to start with
# EFAULT. The run's own environment reaches it through a pipe.
SUPERVISOR_ENV = dict(os.environ)
STOP_GRACE = 15.0  # seconds a told supervisor has to kill its tree before it is killed itself
EOF_GRACE = 2.0  # seconds the streams may stay open after the tree is gone
EMPTY_SHA256 = hashlib.sha256().hexdigest()


@dataclass(frozen=True)
class Stream:
    """One whole output stream, kept or not: its size and sha256, and the part past the
    capture cap (size and sha256), so that two runs that differ only there still differ."""

    total: int = 0
    sha256: str = EMPTY_SHA256
    dropped: int = 0
    dropped_sha256: str = EMPTY_SHA256


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: bytes  # at most MAX_CAPTURE bytes of each stream are kept
    stderr: bytes
    seconds: float
    timed_out: bool
    # Peak resident memory of the child and what it waited for (the supervisor forks it, so
    # a small child reads the supervisor's few MB, not pytest's size).
    max_rss_kb: int = 0
    cpu_seconds: float = 0.0  # user and system, of the child and what it waited for
    stdout_stream: Stream = Stream()
    stderr_stream: Stream = Stream()

    @property
    def dropped_bytes(self) -> int:
        return self.stdout_stream.dropped + self.stderr_stream.dropped


class _Capture:
    """One stream: the first MAX_CAPTURE bytes, and a running hash of all and of the rest."""

    def __init__(self) -> None:
        self.kept = bytearray()
        self.total = 0
        self.whole = hashlib.sha256()
        self.past = hashlib.sha256()

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        self.whole.update(chunk)
        room = max(MAX_CAPTURE - len(self.kept), 0)
        self.kept += chunk[:room]
        if len(chunk) > room:
            self.past.update(chunk[room:])

    @property
    def dropped(self) -> int:
        return self.total - len(self.kept)

    def stream(self) -> Stream:
        return Stream(self.total, self.whole.hexdigest(), self.dropped, self.past.hexdigest())


# Supervisors in flight and the threads that started them, so that Ctrl-C can stop them all
# from the main thread at once.
_live: dict[int, tuple[subprocess.Popen[bytes], int]] = {}
_live_lock = threading.RLock()


def stop_all(threads: Collection[int] | None = None) -> None:
    """Tells every supervisor in flight (or those started by ``threads``) to kill its tree;
    returns at once."""
    with _live_lock:
        for proc, thread in _live.values():
            if threads is None or thread in threads:
                with contextlib.suppress(OSError):
                    os.kill(proc.pid, signal.SIGTERM)


def guard_interrupts() -> None:
    """Makes Ctrl-C (SIGINT) stop every run in flight before KeyboardInterrupt is raised.

    Runs in worker threads (``run_both``) would otherwise go on to their time limit while
    the interrupted main thread waits for them. Call from the main thread; idempotent."""
    if threading.current_thread() is not threading.main_thread():
        return  # only the main thread may set handlers; it is the one Ctrl-C interrupts
    previous = signal.getsignal(signal.SIGINT)
    if not callable(previous) or getattr(previous, "pytest_nuitka_guard", False):
        return
    chained: Callable[[int, FrameType | None], Any] = previous

    def on_interrupt(number: int, frame: FrameType | None) -> Any:
        stop_all()
        return chained(number, frame)

    on_interrupt.pytest_nuitka_guard = True  # type: ignore[attr-defined]
    signal.signal(signal.SIGINT, on_interrupt)


def kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process, its process group and every descendant: the fallback for a
    supervisor that does not answer."""
    victims = descendants(proc.pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    for pid in victims:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5  # SIGKILL is asynchronous: return once they are gone
    while any(running(pid) for pid in victims) and time.monotonic() < deadline:
        time.sleep(0.01)


def run(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    stdin: bytes | None,
    timeout: float,
    stdout_file: IO[bytes] | None = None,
) -> Finished:
    """Run to completion or ``timeout``; output goes to ``stdout_file`` (with stderr) or is
    captured. The run ends when the child ends: whatever it leaves running is killed, and
    everything it printed is kept (up to the cap) and counted."""
    start = time.monotonic()
    env_block = _env_block(env)
    report_r, report_w = os.pipe()
    env_r, env_w = os.pipe()
    try:
        proc = subprocess.Popen(
            [*SUPERVISED, str(os.getpid()), str(report_w), str(env_r), "--", *argv],
            cwd=cwd,
            start_new_session=True,  # a kill of pytest's process group must not reach it
            env=SUPERVISOR_ENV,
            pass_fds=(report_w, env_r),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=stdout_file or subprocess.PIPE,
            stderr=subprocess.STDOUT if stdout_file else subprocess.PIPE,
        )
    except BaseException:
        for fd in (report_r, env_w):
            os.close(fd)
        raise
    finally:
        for fd in (report_w, env_r):
            os.close(fd)
    with _live_lock:
        _live[proc.pid] = proc, threading.get_ident()
    try:
        return _collect(proc, start, timeout, report_r, env_w, env_block, stdin, str(argv[0]))
    except BaseException:
        _stop(proc)  # Ctrl-C or an error here: the tree goes before the exception does
        raise
    finally:
        with _live_lock:
            _live.pop(proc.pid, None)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream:
                with contextlib.suppress(OSError):
                    stream.close()
        proc.wait()


def _env_block(env: Mapping[str, str]) -> bytes:
    items = []
    for name, value in env.items():
        item = os.fsencode(name) + b"=" + os.fsencode(value)
        if b"\0" in item or not name or "=" in name:
            raise ValueError(f"illegal environment variable name or value: {name!r}")
        items.append(item)
    return b"\0".join(items)


def _collect(
    proc: subprocess.Popen[bytes],
    start: float,
    timeout: float,
    report_r: int,
    env_w: int,
    env_block: bytes,
    stdin: bytes | None,
    program: str,
) -> Finished:
    """One loop, no threads: feed the environment and stdin, drain the streams and the
    report, tell the supervisor to stop at the deadline."""
    captures = {
        stream.fileno(): _Capture() for stream in (proc.stdout, proc.stderr) if stream is not None
    }
    report = bytearray()
    pending = {env_w: memoryview(env_block)}
    if proc.stdin is not None:
        pending[proc.stdin.fileno()] = memoryview(stdin or b"")
    selector = selectors.DefaultSelector()
    for fd in [*pending, *captures, report_r]:
        os.set_blocking(fd, False)
    for fd in pending:
        selector.register(fd, selectors.EVENT_WRITE)
    for fd in [*captures, report_r]:
        selector.register(fd, selectors.EVENT_READ)
    reported_at: float | None = None
    told_at: float | None = None
    timed_out = False
    try:
        while selector.get_map():
            now = time.monotonic()
            if reported_at is None and told_at is None and now >= start + timeout:
                timed_out, told_at = True, now
                os.kill(proc.pid, signal.SIGTERM)
            if reported_at is not None and now >= reported_at + EOF_GRACE:
                break  # something outside the tree holds a stream: do not wait for it
            if told_at is not None and reported_at is None and now >= told_at + STOP_GRACE:
                kill_tree(proc)
                break
            wait = (
                reported_at + EOF_GRACE
                if reported_at is not None
                else told_at + STOP_GRACE
                if told_at is not None
                else start + timeout
            ) - now
            for key, _ in selector.select(max(wait, 0.0)):
                fd = int(key.fd)
                if fd in pending:
                    if _feed(fd, pending):
                        selector.unregister(fd)
                        del pending[fd]
                        if fd == env_w:
                            os.close(fd)
                        else:
                            _close_stdin(proc)
                    continue
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    selector.unregister(fd)
                    if fd == report_r:
                        reported_at = time.monotonic()
                elif fd == report_r:
                    report += chunk
                else:
                    captures[fd].add(chunk)
    finally:
        selector.close()
        os.close(report_r)
        if env_w in pending:
            os.close(env_w)
    return _finished(proc, report, captures, time.monotonic() - start, timed_out, program)


def _feed(fd: int, pending: dict[int, memoryview]) -> bool:
    """Writes what the pipe takes; True once all is written or the reader has gone."""
    data = pending[fd]
    try:
        written = os.write(fd, data[: 1 << 16]) if data else 0
    except BlockingIOError:
        return False
    except OSError:  # BrokenPipeError: the child did not read it all, as it may
        return True
    pending[fd] = data[written:]
    return not pending[fd]


def _close_stdin(proc: subprocess.Popen[bytes]) -> None:
    if proc.stdin:
        with contextlib.suppress(OSError):
            proc.stdin.close()


def _finished(
    proc: subprocess.Popen[bytes],
    report: bytearray,
    captures: dict[int, _Capture],
    seconds: float,
    timed_out: bool,
    program: str,
) -> Finished:
    words = report.decode(errors="replace").split()
    out = captures.get(proc.stdout.fileno() if proc.stdout else -1) or _Capture()
    err = captures.get(proc.stderr.fileno() if proc.stderr else -1) or _Capture()
    if words[:1] == ["error"] and len(words) == 2:
        number = int(words[1])
        raise OSError(number, os.strerror(number), program)
    if words[:1] != ["exit"] and timed_out:
        words = ["exit", str(-signal.SIGKILL), "0", "1", "0"]  # told to stop before it could start
    if words[:1] != ["exit"] or len(words) != 5:
        proc.wait()
        said = bytes(err.kept[-2000:]).decode(errors="replace")
        raise RuntimeError(
            f"the supervisor of {program!r} ended without a report "
            f"(exit status {proc.returncode}): {said}"
        )
    return Finished(
        returncode=int(words[1]),
        stdout=bytes(out.kept),
        stderr=bytes(err.kept),
        seconds=seconds,
        timed_out=timed_out and words[3] == "1",  # not if it ended on its own meanwhile
        max_rss_kb=int(words[2]),
        cpu_seconds=float(words[4]),
        stdout_stream=out.stream(),
        stderr_stream=err.stream(),
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Tells the supervisor to kill its tree and waits for it (killing all itself if it
    does not answer)."""
    with contextlib.suppress(OSError):
        os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(STOP_GRACE)
    except subprocess.TimeoutExpired:
        kill_tree(proc)
