"""One queue for every run of a session: as many at once as the machine has cores for.

A job is one process run (a script, a binary, a save, a load, a tool). Jobs start as soon
as their inputs exist and a slot is free, the earliest case's first; the test that needs a
run waits for it. Each run stays a fresh process in a fresh folder: the queue only decides
when it starts.
"""

from __future__ import annotations

import heapq
import itertools
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from typing import Any

from pytest_nuitka.base import process
from pytest_nuitka.run.runs import Run

# What one run may take at its peak: a Keras run peaks near 600 MiB. The slots are bounded
# by the memory available at the start as well as by the cores.
RUN_MEMORY = 1 << 30
POLL = 0.2  # seconds between looks for more work while a test waits


@dataclass
class RunStats:
    runs: int = 0
    cpu: float = 0.0  # seconds, user and system, of the runs and what they waited for
    most: int = 0  # the most runs in flight at once (summed over xdist's workers: a bound)

    def merge(self, other: dict[str, Any]) -> None:
        self.runs += other.get("runs", 0)
        self.cpu += other.get("cpu", 0.0)
        self.most += other.get("most", 0)  # pytest-xdist's workers run side by side

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return f"{self.runs} run(s), {self.cpu:.0f}s of CPU, at most {self.most} at once"


def available_memory() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def cores() -> int:
    """The cores this process may use (taskset and cgroup cpusets narrow it)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_slots(workers: int = 1) -> int:
    """Runs at once: the cores, shared out among pytest-xdist's workers, and no more than
    the memory available holds."""
    slots = max(1, cores() // max(1, workers))
    memory = available_memory()
    if memory is not None:
        slots = min(slots, max(1, memory // RUN_MEMORY))
    return slots


class Scheduler:
    """Runs jobs on ``slots`` threads, lowest priority first, each job one process."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self.stats = RunStats()
        # Called while a test waits and fewer jobs are queued than there are slots: starts
        # more work (the next case's runs); False when there is none.
        self.feed: Callable[[], bool] | None = None
        self._queue: list[tuple[int, int, Callable[[], Run], Future[Run]]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._running = 0
        self._closed = False

    @property
    def queued(self) -> int:
        with self._changed:
            return len(self._queue)

    def submit(self, work: Callable[[], Run], priority: int = 0) -> Future[Run]:
        future: Future[Run] = Future()
        with self._changed:
            if self._closed:
                future.cancel()
                return future
            heapq.heappush(self._queue, (priority, next(self._order), work, future))
            if len(self._threads) < self.slots:
                thread = threading.Thread(target=self._serve, daemon=True, name="pytest-nuitka")
                self._threads.append(thread)
                thread.start()
            self._changed.notify()
        return future

    def wait(self, future: Future[Run]) -> Run:
        """The job's run, once done; meanwhile, idle slots are given more work."""
        while True:
            if self.feed is not None and self.queued < self.slots and self.feed():
                continue
            try:
                return future.result(timeout=POLL if self.feed is not None else None)
            except TimeoutError:
                continue

    def count(self, run: Run) -> None:
        """A run in the summary: each job's, and each second run a check made itself."""
        with self._changed:
            self.stats.runs += 1
            self.stats.cpu += run.cpu_seconds

    def _serve(self) -> None:
        while True:
            with self._changed:
                while not self._queue and not self._closed:
                    self._changed.wait()
                if self._closed:
                    return
                _, _, work, future = heapq.heappop(self._queue)
                if not future.set_running_or_notify_cancel():
                    continue
                self._running += 1
                self.stats.most = max(self.stats.most, self._running)
            try:
                run = work()
            except BaseException as error:  # the test that waits raises it
                future.set_exception(error)
            else:
                self.count(run)
                future.set_result(run)
            finally:
                with self._changed:
                    self._running -= 1

    def close(self) -> None:
        """Drops what has not started and stops what runs (the session ended early: -x,
        Ctrl-C), then waits for the threads."""
        with self._changed:
            self._closed = True
            for _, _, _, future in self._queue:
                future.cancel()
            self._queue.clear()
            self._changed.notify_all()
        own = {thread.ident for thread in self._threads if thread.ident is not None}
        for thread in self._threads:
            while thread.is_alive():  # a job between two steps may start one more process
                process.stop_all(own)
                thread.join(POLL)


_shared: list[Scheduler] = []
_shared_lock = threading.Lock()


def shared() -> Scheduler:
    """The process's scheduler for apps made outside a pytest session (the library, the
    bench); a session makes its own."""
    with _shared_lock:
        if not _shared:
            _shared.append(Scheduler(default_slots()))
        return _shared[0]
