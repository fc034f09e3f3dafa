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
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_nuitka.api.app import SKIP_REASON, App
from pytest_nuitka.api.pair import RunPair
from pytest_nuitka.api.roundtrip import Reference, RoundTrips, directions
from pytest_nuitka.api.session import Nuitka
from pytest_nuitka.base.errors import CheckFailed, NotRun
from pytest_nuitka.base.settings import Mode
from pytest_nuitka.check import diagnose
from pytest_nuitka.check.difference import Difference
from pytest_nuitka.run import runs
from pytest_nuitka.run.runs import Side
from pytest_nuitka.zoo import baselines
from pytest_nuitka.zoo.manifest import Case, ManifestError, RoundTripSpec, RunSpec


@dataclass(frozen=True)
class Check:
    """A check, and how to start the runs it needs without waiting for them."""

    run: Callable[[], None]
    start: Callable[[], None]


class CaseState:
    """What the items of one case share in one process: the app, and its runs and
    round-trips, each run once, started ahead of the checks that wait for them."""

    def __init__(self, case: Case, nuitka: Callable[[], Nuitka]) -> None:
        self.case = case
        self.priority = 0  # the case's place in the session: its runs start in that order
        self._nuitka = nuitka
        self._app: App | None = None
        self._build_error: Exception | None = None  # met while starting ahead
        self._scripts: dict[str, Future[runs.Run]] = {}
        self._binaries: dict[tuple[str, bool], Future[runs.Run]] = {}
        self._trips: dict[str, RoundTrips] = {}

    def app(self) -> App:
        if self._build_error is not None:
            error, self._build_error = self._build_error, None
            raise error  # to the first check; the next ones hear it from the builder
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

    def start(self, checks: Sequence[Check]) -> None:
        """Builds the app and starts the runs ``checks`` need; returns without waiting
        for them. A build that fails is reported by the case's first check."""
        try:
            self.app()
        except Exception as error:  # raised again by the check
            self._build_error = error
            return
        for check in checks:
            check.start()

    def script(self, spec: RunSpec) -> Future[runs.Run]:
        if spec.name not in self._scripts:
            self._scripts[spec.name] = self.app().start(
                Side.SCRIPT, *spec.args, **self._inputs(spec), priority=self.priority
            )
        return self._scripts[spec.name]

    def binary(self, spec: RunSpec, portable: bool = False) -> Future[runs.Run] | None:
        """None without a binary (no --nuitka-compile)."""
        app = self.app()
        if app.binary is None:
            return None
        if (spec.name, portable) not in self._binaries:
            self._binaries[spec.name, portable] = app.start(
                Side.BINARY,
                *spec.args,
                **self._inputs(spec),
                portable=portable,
                priority=self.priority,
            )
        return self._binaries[spec.name, portable]

    def _inputs(self, spec: RunSpec) -> dict[str, Any]:
        return {"stdin": spec.stdin, "files": [self.case.folder / f for f in spec.files]}

    def start_script(self, spec: RunSpec) -> None:
        self.script(spec)

    def start_run(self, spec: RunSpec, portable: bool = False) -> None:
        self.script(spec)
        self.binary(spec, portable)

    def script_run(self, spec: RunSpec) -> runs.Run:
        return self.app().wait(self.script(spec))

    def run(self, spec: RunSpec, portable: bool = False) -> RunPair | runs.Run:
        """Both sides when there is a binary, else the script alone."""
        app = self.app()
        script = self.script_run(spec)
        binary = self.binary(spec, portable)
        return script if binary is None else app.pair(script, app.wait(binary))

    def trips(self, spec: RoundTripSpec) -> RoundTrips:
        if spec.name not in self._trips:
            self._trips[spec.name] = RoundTrips(self.app(), spec.name, spec.plan, self.priority)
        return self._trips[spec.name]

    def start_trip(self, spec: RoundTripSpec, saver: str, loader: str) -> None:
        if Side.BINARY in (saver, loader) and self.app().binary is None:
            return
        self.trips(spec).start(saver, loader)
        if spec.against_run is not None:
            self.script(self.named(spec.against_run))
        elif spec.against is Reference.LOADS:
            self.trips(spec).start(*directions(spec.plan.tool)[0])

    def named(self, name: str) -> RunSpec:
        return next(r for r in self.case.runs if r.name == name)

    def fail(
        self,
        title: str,
        differences: list[Difference],
        used: list[runs.Run],
        folders: Sequence[Path] = (),
    ) -> None:
        diagnose.fail(title, differences, used, folders=folders)


def require_ok(state: CaseState, run: runs.Run, doing: str) -> None:
    if not run.ok:
        problem = run.exception or run.status
        state.fail(f"the {run.side} failed {doing}: {problem}", [], [run])


def case_checks(case: Case, state: CaseState, mode: Mode, regen: bool) -> dict[str, Check]:
    """The case's checks by item name: ``libraries`` (standalone), ``run:``, ``portable:``
    (non-accelerated builds),
    ``baseline:``, ``roundtrip:<name>:<saver>-><loader>``. An expectation that names no check is
    a ManifestError."""
    checks: dict[str, Check] = {}
    nothing: Callable[[], None] = lambda: None  # noqa: E731
    if mode == Mode.STANDALONE:
        checks["libraries"] = Check(lambda: state.app().assert_libraries(), nothing)
    for run in case.runs:
        checks[f"run:{run.name}"] = Check(
            functools.partial(check_run, state, run), functools.partial(state.start_run, run)
        )
        if mode != Mode.ACCELERATED:
            checks[f"portable:{run.name}"] = Check(
                functools.partial(check_run, state, run, True),
                functools.partial(state.start_run, run, True),
            )
        if run.baseline:
            checks[f"baseline:{run.name}"] = Check(
                functools.partial(check_baseline, state, run, regen),
                functools.partial(state.start_script, run),
            )
    for spec in case.roundtrips:
        for saver, loader in directions(spec.plan.tool):
            checks[f"roundtrip:{spec.name}:{saver}->{loader}"] = Check(
                functools.partial(check_roundtrip, state, spec, saver, loader),
                functools.partial(state.start_trip, spec, saver, loader),
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
    result = state.run(spec, portable)
    if isinstance(result, runs.Run):
        raise NotRun(f"{SKIP_REASON} (the script ran: {result.status})")
    result.check(state.case.comparison.then(spec.comparison))


def check_baseline(state: CaseState, spec: RunSpec, regen: bool) -> None:
    """``regen``: write the baseline from this cell's script outputs (--nuitka-force-regen)."""
    script = state.script_run(spec)
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
        spec.comparison.argmax,
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
    if Side.BINARY in (saver, loader) and state.app().binary is None:
        raise NotRun(SKIP_REASON)
    trips = state.trips(spec)
    against: Reference | runs.Run = spec.against
    if spec.against_run is not None:
        named = state.named(spec.against_run)
        against = state.script_run(named)
        require_ok(state, against, f"the run {named.name!r} the round-trip is held against")
    how = state.app().comparison.then(state.case.comparison.then(spec.comparison))
    failed, differences, used = trips.check(saver, loader, against, spec.outputs, how)
    artifact = [trips.folder(saver)]
    if failed:
        state.fail(failed, [], used, artifact)
    if differences:
        state.fail(
            f"round-trip {saver}->{loader} ({spec.plan.artifact}): "
            + ", ".join(d.title for d in differences),
            differences,
            used,
            artifact,
        )
