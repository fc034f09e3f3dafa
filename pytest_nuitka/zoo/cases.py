"""Model zoo cases (``nuitka-case.toml``) collected as test items.

Each case yields one item per check: ``run:<name>`` (script vs binary),
``baseline:<name>`` (script vs the committed baseline of a reference cell),
``roundtrip:<name>:<saver>-><loader>`` (an artifact saved by one runtime, loaded by another
or by a tool, must predict what the saving run predicted in memory), for standalone and
onefile builds ``portable:<name>`` (the run again, the binary in the clean room), and for
standalone builds ``libraries`` (no shared library needed from outside the dist but those any
Linux target has).
"""

from __future__ import annotations

import fnmatch
import functools
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pytest_nuitka.app import SKIP_REASON, App, RunPair
from pytest_nuitka.check import diagnose
from pytest_nuitka.check.difference import Difference
from pytest_nuitka.check.roundtrip import RoundTrips, directions
from pytest_nuitka.errors import CheckFailed, NotRun
from pytest_nuitka.run import runs
from pytest_nuitka.run.runs import Side
from pytest_nuitka.session import Nuitka
from pytest_nuitka.settings import Mode
from pytest_nuitka.zoo import baselines
from pytest_nuitka.zoo.manifest import Case, ManifestError, RoundTripSpec, RunSpec


class CaseState:
    """What the items of one case share in one process: the app, its runs and round-trips."""

    def __init__(self, case: Case, nuitka: Callable[[], Nuitka]) -> None:
        self.case = case
        self._nuitka = nuitka
        self._app: App | None = None
        self._pairs: dict[tuple[str, bool], RunPair | runs.Run] = {}
        self._trips: dict[str, RoundTrips] = {}

    def app(self) -> App:
        if self._app is None:
            case = self.case
            self._app = self._nuitka().compile(
                case.app,
                data=case.data,
                options=case.options,
                mode=case.mode,
                ship=case.ship,
                env=case.env,
                timeout=case.timeout,
            )
        return self._app

    def run(self, spec: RunSpec, portable: bool = False) -> RunPair | runs.Run:
        """Both sides when there is a binary, else the script alone; run once per process."""
        if (spec.name, portable) not in self._pairs:
            app = self.app()
            kwargs: dict[str, Any] = {
                "stdin": spec.stdin,
                "files": [self.case.folder / f for f in spec.files],
            }
            self._pairs[spec.name, portable] = (
                app.run_both(*spec.args, portable=portable, **kwargs)
                if app.binary
                else app.run_script(*spec.args, **kwargs)
            )
        return self._pairs[spec.name, portable]

    def trips(self, spec: RoundTripSpec) -> RoundTrips:
        if spec.name not in self._trips:
            self._trips[spec.name] = RoundTrips(
                self.app(),
                spec.name,
                spec.save,
                spec.load,
                spec.artifact,
                tool=spec.tool,
                files=[self.case.folder / f for f in spec.files],
            )
        return self._trips[spec.name]

    def fail(
        self,
        title: str,
        differences: list[Difference],
        used: list[runs.Run],
        folders: Sequence[Path] = (),
    ) -> None:
        __tracebackhide__ = True
        diagnose.fail(title, differences, used, folders=folders)


def require_ok(state: CaseState, run: runs.Run, doing: str) -> None:
    __tracebackhide__ = True
    if not run.ok:
        problem = run.exception or run.status
        state.fail(f"the {run.side} failed {doing}: {problem}", [], [run])


def case_checks(
    case: Case, state: CaseState, mode: Mode, regen: bool
) -> dict[str, Callable[[], None]]:
    """The case's checks by item name: ``libraries`` (standalone), ``run:``, ``portable:``
    (non-accelerated builds),
    ``baseline:``, ``roundtrip:<name>:<saver>-><loader>``. An expectation that names no check is
    a ManifestError."""
    checks: dict[str, Callable[[], None]] = {}
    if mode == Mode.STANDALONE:
        checks["libraries"] = lambda: state.app().assert_libraries()
    for run in case.runs:
        checks[f"run:{run.name}"] = functools.partial(check_run, state, run)
        if mode != Mode.ACCELERATED:
            checks[f"portable:{run.name}"] = functools.partial(check_run, state, run, True)
        if run.baseline:
            checks[f"baseline:{run.name}"] = functools.partial(check_baseline, state, run, regen)
    for spec in case.roundtrips:
        for saver, loader in directions(spec.tool):
            checks[f"roundtrip:{spec.name}:{saver}->{loader}"] = functools.partial(
                check_roundtrip, state, spec, saver, loader
            )
    for index, expectation in enumerate(case.expectations):
        if mode not in expectation.modes:
            continue
        for pattern in expectation.checks:
            if not any(fnmatch.fnmatchcase(name, pattern) for name in checks):
                raise ManifestError(
                    case.path,
                    f"expect[{index}].checks",
                    f"{pattern!r} matches no check; the checks are: " + ", ".join(checks),
                )
    return checks


def check_run(state: CaseState, spec: RunSpec, portable: bool = False) -> None:
    __tracebackhide__ = True
    result = state.run(spec, portable)
    if isinstance(result, runs.Run):
        raise NotRun(f"{SKIP_REASON} (the script ran: {result.status})")
    how = state.case.comparing.then(spec.comparing)
    result.assert_match(
        spec.rtol,
        spec.atol,
        spec.argmax,
        spec.stdout,
        how.comparators,
        stderr=how.stderr,
        strict=how.strict,
        rules=how.rules,
        noise=how.noise,
        exclude=how.exclude,
    )


def check_baseline(state: CaseState, spec: RunSpec, regen: bool) -> None:
    """``regen``: write the baseline from this cell's script outputs (--nuitka-force-regen)."""
    __tracebackhide__ = True
    result = state.run(spec)
    script = result if isinstance(result, runs.Run) else result.script
    require_ok(state, script, f"the run {spec.name!r}")
    folder, env = state.case.folder, {**os.environ, **state.case.env}
    arrays, _ = baselines.paths(folder, spec.name)
    if regen or not arrays.exists():
        written = baselines.write(folder, spec.name, script.outputs, spec.baseline, env)
        raise CheckFailed(f"baseline written to {written}: review it and commit it")
    differences = baselines.compare(
        folder,
        spec.name,
        script.outputs,
        spec.baseline,
        state.case.baseline_rtol,
        state.case.baseline_atol,
        spec.argmax,
    )
    if differences:
        state.fail(
            f"script outputs differ from the committed baseline (rtol="
            f"{state.case.baseline_rtol:g}, atol={state.case.baseline_atol:g}; "
            "--nuitka-force-regen rewrites it)",
            differences,
            [script],
        )


def check_roundtrip(state: CaseState, spec: RoundTripSpec, saver: str, loader: str) -> None:
    __tracebackhide__ = True
    if Side.BINARY in (saver, loader) and state.app().binary is None:
        raise NotRun(SKIP_REASON)
    trips = state.trips(spec)
    against: str | runs.Run = spec.against
    if spec.against.startswith("run:"):
        named = next(r for r in state.case.runs if r.name == spec.against[4:])
        result = state.run(named)
        against = result if isinstance(result, runs.Run) else result.script
        require_ok(state, against, f"the run {named.name!r} the round-trip is held against")
    how = state.case.comparing.then(spec.comparing)
    failed, differences, used = trips.check(
        saver, loader, against, spec.outputs, spec.rtol, spec.atol, how.comparators, how.exclude
    )
    artifact = [trips.folder(saver)]
    if failed:
        state.fail(failed, [], used, artifact)
    if differences:
        state.fail(
            f"round-trip {saver}->{loader} ({spec.artifact}): "
            + ", ".join(d.title for d in differences),
            differences,
            used,
            artifact,
        )
