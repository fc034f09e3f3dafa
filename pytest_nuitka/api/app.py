"""What a test holds: a compiled app, which runs its script and binary (alone, as a pair, in
a clean room) and drives its round-trips."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Unpack

from pytest_nuitka.api.pair import RunPair
from pytest_nuitka.api.roundtrip import Plan, RoundTrip, RoundTrips, TripInputs, directions
from pytest_nuitka.base import libraries
from pytest_nuitka.base.errors import CheckFailed, NotRun, NuitkaPluginError
from pytest_nuitka.base.settings import Mode, seconds
from pytest_nuitka.check.comparison import DEFAULT, Comparison
from pytest_nuitka.run import portable, runs
from pytest_nuitka.run.runs import Side
from pytest_nuitka.run.scheduler import Scheduler, shared

SKIP_REASON = "the binary side needs --nuitka-compile"


class App:
    """A script and, with --nuitka-compile, the binary built from it."""

    def __init__(
        self,
        script: Path,
        binary: Path | None,
        *,
        mode: Mode,
        options: Sequence[str] = (),
        env: Mapping[str, str | None],
        timeout: float,
        workdir: Callable[[str], Path],
        resolve: Callable[[str | Path], Path],
        comparison: Comparison = DEFAULT,
        scheduler: Scheduler | None = None,
        ship: Sequence[str] = (),
    ) -> None:
        self.script = script
        self.binary = binary
        self.mode = mode
        self.options = tuple(options)  # the Nuitka options it was built with
        self.ship = tuple(ship)  # the packages it carries uncompiled
        self.env = dict(env)
        self.timeout = timeout
        self.workdir = workdir
        self._resolve = resolve
        self.comparison = comparison  # the session's: what every check starts from
        self.scheduler = scheduler or shared()
        self._count = itertools.count(1)
        self._read: dict[Future[runs.Run], runs.Run] = {}
        self._reading = threading.Lock()

    def invocation(self, args: Sequence[str], **given: Unpack[runs.Inputs]) -> runs.Invocation:
        """The test's inputs read: stdin as bytes, its env on the app's, files found, the
        time limit checked (default: the app's)."""
        stdin, env = given.get("stdin"), given.get("env")
        files, timeout = given.get("files", ()), given.get("timeout")
        return runs.Invocation(
            args=tuple(str(a) for a in args),
            stdin=stdin.encode() if isinstance(stdin, str) else stdin,
            env={**self.env, **(env or {})},
            files=tuple(self._resolve(f) for f in files),
            timeout=seconds("timeout", timeout, self.timeout),
        )

    def _run(
        self,
        side: Side,
        invocation: runs.Invocation,
        number: int,
        read: bool = True,
        base_env: Mapping[str, str] | None = None,
    ) -> runs.Run:
        command = [str(self.binary)] if side == Side.BINARY else [runs.python(), str(self.script)]
        paths = [self.script] + ([self.binary] if self.binary else [])
        # An accelerated binary lies in the cache but finds modules beside its source, as
        # it would where `python -m nuitka` leaves it.
        beside = (
            self.script.parent if side == Side.BINARY and self.mode == Mode.ACCELERATED else None
        )
        folder = self.workdir(f"{number}-{side}")
        done = runs.run(
            side,
            command,
            paths,
            invocation,
            folder,
            base_env,
            source_dir=beside,
            read=read,
            counted=self.scheduler.count,
        )
        return self._built(done) if side == Side.BINARY else done

    def _built(self, run: runs.Run) -> runs.Run:
        return dataclasses.replace(run, build=runs.Build(self.mode, self.options, self.ship))

    def _clean_room(self, number: int) -> tuple[Path, Path, list[str]]:
        """The run's folder, a fresh copy of the binary (with its dist) in it, and the command
        prefix of the clean room around it; skips the test, saying why, where the kernel will
        not make one."""
        if self.binary is None:
            raise NotRun(SKIP_REASON)
        if self.mode == Mode.ACCELERATED:
            raise NuitkaPluginError(
                "a portable run needs a standalone or onefile build: an accelerated binary "
                "loads the Python it was built with (mode='standalone', or --nuitka-mode)"
            )
        folder = self.workdir(f"{number}-portable")
        shipped = self.binary.parent if self.mode == Mode.STANDALONE else self.binary
        copy = portable.fresh_place(shipped, folder / "fresh")
        hidden = [*portable.host_python_paths(), self.script.parent, self.binary.parent]
        try:
            room = portable.clean_room(shipped, copy, hidden, needed=[folder], folder=folder)
        except portable.Unavailable as reason:
            raise NotRun(
                f"no clean room here, the portability check did not run: {reason}"
            ) from None
        binary = copy / self.binary.name if copy.is_dir() else copy
        return folder, binary, room

    def _run_portable(
        self,
        invocation: runs.Invocation,
        folder: Path,
        binary: Path,
        room: list[str],
        read: bool = True,
        base_env: Mapping[str, str] | None = None,
    ) -> runs.Run:
        assert self.binary is not None
        home = folder / "home"
        home.mkdir()
        done = runs.run(
            Side.BINARY,
            [*room, str(binary)],
            [self.script, self.binary, binary],
            invocation,
            folder / "run",
            base_env=portable.scrubbed_environment(base_env or os.environ, home),
            read=read,
            counted=self.scheduler.count,
        )
        return self._built(done)

    def call(
        self,
        side: str,
        *args: str,
        stdin: str | bytes | None = None,
        env: Mapping[str, str | None] | None = None,
        files: Sequence[str | Path] = (),
        timeout: float | None = None,
        portable: bool = False,
        read: bool = True,
        base_env: Mapping[str, str] | None = None,
    ) -> runs.Run:
        """One run of ``side`` ("script" or "binary"), in the calling thread: what a job of
        the scheduler does (with ``read=False``: ``wait`` reads the outputs; ``base_env``:
        the environment as it was when the job was made). ``portable``: as ``run_both``."""
        if side not in (Side.SCRIPT, Side.BINARY):
            raise NuitkaPluginError(f"side {side!r}: give 'script' or 'binary'")
        invocation = self.invocation(args, stdin=stdin, env=env, files=files, timeout=timeout)
        number = next(self._count)
        if side == Side.SCRIPT:
            return self._run(Side.SCRIPT, invocation, number, read, base_env)
        if self.binary is None:
            raise NotRun(SKIP_REASON)
        if portable:
            room = self._clean_room(number)
            return self._run_portable(invocation, *room, read=read, base_env=base_env)
        return self._run(Side.BINARY, invocation, number, read, base_env)

    def start(self, side: str, *args: str, priority: int = 0, **given: Any) -> Future[runs.Run]:
        """``call`` (the same arguments) as a job of the scheduler: it starts once a core is
        free; returns at once. ``priority``: lower starts first. The environment is taken
        now, in this thread (a worker thread must not iterate it while pytest sets it)."""
        base = dict(os.environ)
        job = functools.partial(self.call, side, *args, read=False, base_env=base, **given)
        return self.scheduler.submit(job, priority)

    def wait(self, future: Future[runs.Run]) -> runs.Run:
        """The job's run, its outputs read (in this thread: see ``runs.with_outputs``)."""
        run = self.scheduler.wait(future)
        with self._reading:
            if future not in self._read:
                self._read[future] = runs.with_outputs(run)
            return self._read[future]

    def run_script(self, *args: str, **given: Unpack[runs.Inputs]) -> runs.Run:
        """Run the script with the interpreter the binary is built against."""
        return self.wait(self.start(Side.SCRIPT, *args, **given))

    def run_binary(
        self, *args: str, portable: bool = False, **given: Unpack[runs.Inputs]
    ) -> runs.Run:
        """``portable``: as ``run_both``."""
        if self.binary is None:
            raise NotRun(SKIP_REASON)
        return self.wait(self.start(Side.BINARY, *args, portable=portable, **given))

    def run_both(
        self,
        *args: str,
        portable: bool = False,
        script_env: Mapping[str, str | None] | None = None,
        binary_env: Mapping[str, str | None] | None = None,
        **given: Unpack[runs.Inputs],
    ) -> RunPair:
        """Run script and binary concurrently on the same argv, stdin and environment, each
        in a fresh working directory holding copies of ``files``. ``{out}`` in argv is the
        run's output directory. Without a binary, the script runs and the test is skipped.
        ``runs.Inputs``: ``stdin``, ``env``, ``files``, ``timeout`` (a number of seconds).

        ``script_env``, ``binary_env``: variables for one side only, on top of ``env`` (an
        experiment, e.g. a variable the build froze); a failure names them.

        ``portable``: the binary runs as on a machine without this Python: from a fresh
        copy of the dist (or onefile binary), with a scrubbed environment (the invocation's
        ``env`` still applies), in a clean room that hides the build's Python prefix,
        site-packages, the app's source folder and the cached build."""
        env = given.pop("env", None) or {}
        one_sided = _one_sided({**self.env, **env}, script_env or {}, binary_env or {})
        script = self.start(Side.SCRIPT, *args, env={**env, **(script_env or {})}, **given)
        if self.binary is None:
            raise NotRun(f"{SKIP_REASON} (the script ran: {self.wait(script).status})")
        binary = self.start(
            Side.BINARY, *args, env={**env, **(binary_env or {})}, portable=portable, **given
        )
        return self.pair(self.wait(script), self.wait(binary), one_sided)

    def pair(
        self,
        script: runs.Run,
        binary: runs.Run,
        one_sided: Mapping[str, Mapping[str, str | None]] | None = None,
    ) -> RunPair:
        """The two runs, compared with this session's defaults."""
        return RunPair(script, binary, self.comparison, one_sided or {})

    def assert_libraries(self) -> None:
        """Fail when the standalone dist needs a shared library from outside itself that a
        Linux target may lack (auditwheel's manylinux policy), naming each library, the files
        that need it and where this machine has it: the check that needs no other machine."""
        if self.binary is None:
            raise NotRun(SKIP_REASON)
        if self.mode != Mode.STANDALONE:
            raise NuitkaPluginError(
                "the shared-library check reads a standalone dist (mode='standalone'): an "
                "accelerated binary uses this machine's Python, and a onefile binary carries "
                "the standalone dist of the same build compressed"
            )
        dist = self.binary.parent
        found, links = libraries.foreign(dist), libraries.links_out(dist)
        if any(item.fails for item in found) or links:
            raise CheckFailed(libraries.report(dist, found, links))

    def roundtrip(
        self,
        save: Sequence[str],
        load: Sequence[str],
        artifact: str,
        **given: Unpack[TripInputs],
    ) -> RoundTrip:
        """Save an artifact with the script and with the binary (``{artifact}`` in ``save``
        is its path, in a folder of its own), load each with both (or with the program
        ``tool``), and return every direction for ``assert_match``: py->py, py->bin, bin->py,
        bin->bin. Each load starts as soon as its save is done. Without a binary the test is
        skipped.
        ``tool``: a program name, or a ``Tool`` with its command and what it needs;
        ``files``, ``env``, ``timeout``: as ``run_both``'s, for every save and load."""
        if self.binary is None:
            raise NotRun(SKIP_REASON)
        plan = Plan.of(save, load, artifact, **given)
        trips = RoundTrips(self, f"roundtrip{next(self._count)}", plan)
        pairs = directions(plan.tool)
        for saver, loader in pairs:
            trips.start(saver, loader)
        trips.settle()
        return RoundTrip(trips, tuple(pairs), self.comparison)


def _one_sided(
    env: Mapping[str, str | None],
    script_env: Mapping[str, str | None],
    binary_env: Mapping[str, str | None],
) -> dict[str, dict[str, str | None]]:
    """The variables whose value really differs between the sides, as each side set it."""
    sides = {Side.SCRIPT: {**env, **script_env}, Side.BINARY: {**env, **binary_env}}

    def value(side: Side, name: str) -> str | None:
        chosen = sides[side]
        return chosen[name] if name in chosen else os.environ.get(name)

    differ = {
        n for n in {*script_env, *binary_env} if value(Side.SCRIPT, n) != value(Side.BINARY, n)
    }
    return {
        Side.SCRIPT: {n: v for n, v in script_env.items() if n in differ},
        Side.BINARY: {n: v for n, v in binary_env.items() if n in differ},
    }
