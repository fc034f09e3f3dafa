"""Run a child with a time limit; on timeout kill its whole process tree."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

# A flooding child must not exhaust the pytest process; what is past this is counted, not kept.
MAX_CAPTURE = 32 * 1024 * 1024


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: bytes
    stderr: bytes
    seconds: float
    timed_out: bool
    dropped_bytes: int = 0
    # Peak resident memory of the child and what it waited for; before exec the child is a
    # fork of this process, so it reads at least this process's size at the fork.
    max_rss_kb: int = 0


def descendants(pid: int) -> list[int]:
    """Children of ``pid`` at any depth, found through /proc (also those in new sessions)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child, its process group and every descendant that left the group."""
    victims = descendants(proc.pid) if Path("/proc").is_dir() else []
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    for pid in victims:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5  # SIGKILL is asynchronous: return once they are gone
    while any(running(pid) for pid in victims) and time.monotonic() < deadline:
        time.sleep(0.01)


def running(pid: int) -> bool:
    """Alive and not a zombie (a killed orphan waits for init to reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _drain(stream: IO[bytes], into: bytearray, dropped: list[int]) -> None:
    while chunk := stream.read(65536):
        room = MAX_CAPTURE - len(into)
        into += chunk[:room]
        if len(chunk) > room:
            dropped[0] += len(chunk) - max(room, 0)


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
    captured. Whatever the child leaves running afterwards is killed too."""
    start = time.monotonic()
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        start_new_session=True,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=stdout_file or subprocess.PIPE,
        stderr=subprocess.STDOUT if stdout_file else subprocess.PIPE,
    )
    out, err, dropped = bytearray(), bytearray(), [0]
    readers = [
        threading.Thread(target=_drain, args=(stream, buf, dropped), daemon=True)
        for stream, buf in ((proc.stdout, out), (proc.stderr, err))
        if stream
    ]
    for reader in readers:
        reader.start()
    if stdin is not None and proc.stdin:
        threading.Thread(target=_feed, args=(proc.stdin, stdin), daemon=True).start()
    usage: list[int] = []
    waiter = threading.Thread(target=_reap, args=(proc, usage), daemon=True)
    waiter.start()
    waiter.join(timeout)
    timed_out = waiter.is_alive()
    try:
        kill_tree(proc)
    finally:
        waiter.join()
        proc.wait()
    for reader in readers:
        reader.join(5)  # a grandchild outside our reach may still hold the pipe
    return Finished(
        proc.returncode,
        bytes(out),
        bytes(err),
        time.monotonic() - start,
        timed_out,
        dropped[0],
        usage[0] if usage else 0,
    )


def _reap(proc: subprocess.Popen[bytes], usage: list[int]) -> None:
    """Wait with wait4, which Popen does not, to learn the child's peak memory."""
    _, status, rusage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    usage.append(rusage.ru_maxrss)


def _feed(pipe: IO[bytes], data: bytes) -> None:
    try:
        pipe.write(data)
        pipe.close()
    except (BrokenPipeError, OSError):
        pass
