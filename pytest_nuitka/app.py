"""What a test holds: a compiled app, and the pair of runs whose behaviour it compares."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from . import compare, runs
from .compare import Comparator, Difference, Tolerance

SKIP_REASON = "the binary side needs --nuitka-compile"


@dataclass(frozen=True)
class RunPair:
    """The script's run and the binary's, on the same inputs."""

    script: runs.Run
    binary: runs.Run

    def _fail_on(self, differences: list[Difference]) -> None:
        __tracebackhide__ = True
        if differences:
            title = f"binary differs from script in {len(differences)} check(s): " + ", ".join(
                d.title for d in differences
            )
            pytest.fail(compare.render(title, differences, self.script, self.binary), pytrace=False)

    def check_exit(self) -> None:
        """Same exit status; when the script failed, the same exception type and message."""
        __tracebackhide__ = True
        self._fail_on(compare.check_exit(self.script, self.binary))

    def check_stdout(self) -> None:
        __tracebackhide__ = True
        self._fail_on(compare.check_stdout(self.script, self.binary))

    def check_outputs(
        self,
        rtol: Tolerance = 0.0,
        atol: Tolerance = 0.0,
        comparators: Mapping[str, Comparator] | None = None,
    ) -> None:
        """Every emitted output by name; arrays bit-identical unless a tolerance is given
        (a number, or a mapping from output name to number)."""
        __tracebackhide__ = True
        self._fail_on(compare.check_outputs(self.script, self.binary, rtol, atol, comparators))

    def check_argmax(self, names: Iterable[str], axis: int = -1) -> None:
        __tracebackhide__ = True
        self._fail_on(compare.check_argmax(self.script, self.binary, names, axis))

    def differences(
        self,
        rtol: Tolerance = 0.0,
        atol: Tolerance = 0.0,
        argmax: Iterable[str] = (),
        stdout: bool = True,
        comparators: Mapping[str, Comparator] | None = None,
    ) -> list[Difference]:
        found = compare.check_exit(self.script, self.binary)
        if stdout:
            found += compare.check_stdout(self.script, self.binary)
        found += compare.check_outputs(self.script, self.binary, rtol, atol, comparators)
        return found + compare.check_argmax(self.script, self.binary, argmax)

    def assert_match(
        self,
        rtol: Tolerance = 0.0,
        atol: Tolerance = 0.0,
        argmax: Iterable[str] = (),
        stdout: bool = True,
        comparators: Mapping[str, Comparator] | None = None,
    ) -> None:
        """All checks at once; one failure message lists every difference."""
        __tracebackhide__ = True
        self._fail_on(self.differences(rtol, atol, argmax, stdout, comparators))


class App:
    """A script and, with --nuitka-compile, the binary built from it."""

    def __init__(
        self,
        script: Path,
        binary: Path | None,
        *,
        env: Mapping[str, str | None],
        timeout: float,
        workdir: Callable[[str], Path],
        resolve: Callable[[str | Path], Path],
    ) -> None:
        self.script = script
        self.binary = binary
        self.env = dict(env)
        self.timeout = timeout
        self.workdir = workdir
        self._resolve = resolve
        self._count = itertools.count(1)

    def invocation(
        self,
        args: Sequence[str],
        stdin: str | bytes | None,
        env: Mapping[str, str | None] | None,
        files: Sequence[str | Path],
        timeout: float | None,
    ) -> runs.Invocation:
        return runs.Invocation(
            args=tuple(str(a) for a in args),
            stdin=stdin.encode() if isinstance(stdin, str) else stdin,
            env={**self.env, **(env or {})},
            files=tuple(self._resolve(f) for f in files),
            timeout=timeout or self.timeout,
        )

    def _run(self, side: str, invocation: runs.Invocation, number: int) -> runs.Run:
        command = [str(self.binary)] if side == "binary" else [runs.python(), str(self.script)]
        paths = [self.script] + ([self.binary] if self.binary else [])
        return runs.run(side, command, paths, invocation, self.workdir(f"{number}-{side}"))

    def run_script(
        self,
        *args: str,
        stdin: str | bytes | None = None,
        env: Mapping[str, str | None] | None = None,
        files: Sequence[str | Path] = (),
        timeout: float | None = None,
    ) -> runs.Run:
        """Run the script with the interpreter the binary is built against."""
        invocation = self.invocation(args, stdin, env, files, timeout)
        return self._run("script", invocation, next(self._count))

    def run_binary(
        self,
        *args: str,
        stdin: str | bytes | None = None,
        env: Mapping[str, str | None] | None = None,
        files: Sequence[str | Path] = (),
        timeout: float | None = None,
    ) -> runs.Run:
        if self.binary is None:
            pytest.skip(SKIP_REASON)
        invocation = self.invocation(args, stdin, env, files, timeout)
        return self._run("binary", invocation, next(self._count))

    def run_both(
        self,
        *args: str,
        stdin: str | bytes | None = None,
        env: Mapping[str, str | None] | None = None,
        files: Sequence[str | Path] = (),
        timeout: float | None = None,
    ) -> RunPair:
        """Run script and binary concurrently on the same argv, stdin and environment, each
        in a fresh working directory holding copies of ``files``. ``{out}`` in argv is the
        run's output directory. Without a binary, the script runs and the test is skipped."""
        invocation = self.invocation(args, stdin, env, files, timeout)
        number = next(self._count)
        if self.binary is None:
            script = self._run("script", invocation, number)
            pytest.skip(f"{SKIP_REASON} (the script ran: {script.status})")
        with ThreadPoolExecutor(2) as pool:
            script_run, binary_run = pool.map(
                lambda side: self._run(side, invocation, number), ("script", "binary")
            )
        return RunPair(script_run, binary_run)
