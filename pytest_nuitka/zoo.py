"""Model zoo cases (``nuitka-case.toml``) collected as test items.

Each case yields one item per check: ``run:<name>`` (script vs binary),
``baseline:<name>`` (script vs the committed baseline of a reference cell),
``roundtrip:<name>:<saver>-><loader>`` (an artifact saved by one runtime, loaded by another
or by a tool, must predict what the saving run predicted in memory) and, for standalone and
onefile builds, ``portable:<name>`` (the run again, the binary in the clean room).
"""

from __future__ import annotations

import fnmatch
import functools
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from . import baselines, compare, diagnose, runs
from .app import SKIP_REASON, App, RunPair
from .conditions import all_hold, skip_reason, unmet
from .errors import NuitkaPluginError
from .fixture import BUILDER, Nuitka, nuitka_for
from .manifest import Case, ManifestError, RoundTripSpec, RunSpec, load_case

SIDES = ("script", "binary")


def directions(spec: RoundTripSpec) -> list[tuple[str, str]]:
    loaders = [spec.tool] if spec.tool else list(SIDES)
    return [(saver, loader) for saver in SIDES for loader in loaders]


class CaseState:
    """What the items of one case share in one process: the app and the saved artifacts."""

    def __init__(self, case: Case, nuitka: Callable[[], Nuitka]) -> None:
        self.case = case
        self._nuitka = nuitka
        self._app: App | None = None
        self._pairs: dict[tuple[str, bool], RunPair | runs.Run] = {}
        self._saved: dict[tuple[str, str], tuple[runs.Run, Path]] = {}

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

    def fail(self, title: str, differences: list[compare.Difference], run: runs.Run) -> None:
        __tracebackhide__ = True
        build = self._app.build if self._app else diagnose.Build()
        diagnose.fail(title, differences, [run], build)

    def saved(self, spec: RoundTripSpec, saver: str) -> tuple[runs.Run, Path]:
        if (spec.name, saver) not in self._saved:
            app = self.app()
            folder = app.workdir(f"{spec.name}-saved-by-{saver}")
            artifact = folder / "artifact" / spec.artifact
            artifact.parent.mkdir()
            args = fill(spec.save, artifact)
            files = [self.case.folder / f for f in spec.files]
            run = (
                app.run_binary(*args, files=files)
                if saver == "binary"
                else app.run_script(*args, files=files)
            )
            self._saved[spec.name, saver] = (run, artifact)
        return self._saved[spec.name, saver]

    def load(self, spec: RoundTripSpec, saver: str, loader: str) -> runs.Run:
        _, artifact = self.saved(spec, saver)
        app = self.app()
        args = fill(spec.load, artifact)
        files = [self.case.folder / f for f in spec.files]
        if loader == "binary":
            return app.run_binary(*args, files=files)
        if loader == "script":
            return app.run_script(*args, files=files)
        invocation = app.invocation(args, None, None, files, None)
        return runs.run(
            "tool",
            [tool_path(loader)],
            [],
            invocation,
            app.workdir(f"{spec.name}-{saver}-to-{loader}"),
        )


def fill(args: tuple[str, ...], artifact: Path) -> list[str]:
    return [
        a.replace("{artifact}", str(artifact)).replace("{artifact_dir}", str(artifact.parent))
        for a in args
    ]


def tool_path(name: str) -> str:
    """A loader program: from the interpreter's own bin folder first (a venv's console
    scripts), then PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    if not found:
        raise NuitkaPluginError(
            f"loader tool {name!r} not found beside {sys.executable} or on "
            "PATH; install the package that provides it"
        )
    return found


def require_ok(state: CaseState, run: runs.Run, doing: str) -> None:
    __tracebackhide__ = True
    if not run.ok:
        problem = run.exception or run.status
        state.fail(f"the {run.side} failed {doing}: {problem}", [], run)


class ExpectedIssue(diagnose.DiagnosedFailure):
    """The failure an xfail expectation predicted, diagnosed as the issue it names."""


class CaseItem(pytest.Item):
    def __init__(self, *, state: CaseState, check: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state = state
        self.check = check
        self.expected_diagnosis: str | None = None
        env = {**os.environ, **state.case.env}
        missing = unmet(state.case.requires, env)
        if missing:
            self.add_marker(pytest.mark.skip(reason=skip_reason(missing)))
        for expectation in state.case.expectations:
            matches = any(fnmatch.fnmatchcase(self.name, p) for p in expectation.checks)
            if matches and all_hold(expectation.when, env):
                reason = f"known issue: {expectation.issue}"
                if expectation.outcome == "skip":
                    self.add_marker(pytest.mark.skip(reason=reason))
                elif expectation.diagnosis:
                    self.expected_diagnosis = expectation.diagnosis
                    reason += f" [{expectation.diagnosis}]"
                    self.add_marker(
                        pytest.mark.xfail(reason=reason, strict=True, raises=ExpectedIssue)
                    )
                else:
                    self.add_marker(pytest.mark.xfail(reason=reason, strict=True))

    def runtest(self) -> None:
        try:
            self.check()
        except diagnose.DiagnosedFailure as failure:
            if self.expected_diagnosis in {d.issue.id for d in failure.diagnoses}:
                raise ExpectedIssue(str(failure), failure.diagnoses) from None
            raise

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"{self.state.case.folder.name}::{self.name}"


class CaseFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            case = load_case(self.path)
        except ManifestError as error:
            raise self.CollectError(str(error)) from None
        state = CaseState(case, lambda: zoo_nuitka(self.config))
        checks: dict[str, Callable[[], None]] = {}
        mode = case.mode or self.config.stash[BUILDER].settings.mode
        for run in case.runs:
            checks[f"run:{run.name}"] = functools.partial(check_run, state, run)
            if mode != "accelerated":
                checks[f"portable:{run.name}"] = functools.partial(check_run, state, run, True)
            if run.baseline:
                checks[f"baseline:{run.name}"] = functools.partial(
                    check_baseline, state, run, self.config
                )
        for spec in case.roundtrips:
            for saver, loader in directions(spec):
                checks[f"roundtrip:{spec.name}:{saver}->{loader}"] = functools.partial(
                    check_roundtrip, state, spec, saver, loader
                )
        for index, expectation in enumerate(case.expectations):
            for pattern in expectation.checks:
                if not any(fnmatch.fnmatchcase(name, pattern) for name in checks):
                    raise self.CollectError(
                        str(
                            ManifestError(
                                self.path,
                                f"expect[{index}].checks",
                                f"{pattern!r} matches no check; the checks are: "
                                + ", ".join(checks),
                            )
                        )
                    )
        for name, check in checks.items():
            yield CaseItem.from_parent(self, name=name, state=state, check=check)


def zoo_nuitka(config: pytest.Config) -> Nuitka:
    factory: pytest.TempPathFactory = config._tmp_path_factory  # type: ignore[attr-defined]
    return nuitka_for(config, [config.rootpath], factory.mktemp("zoo"))


def check_run(state: CaseState, spec: RunSpec, portable: bool = False) -> None:
    __tracebackhide__ = True
    result = state.run(spec, portable)
    if isinstance(result, runs.Run):
        pytest.skip(f"{SKIP_REASON} (the script ran: {result.status})")
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


def check_baseline(state: CaseState, spec: RunSpec, config: pytest.Config) -> None:
    __tracebackhide__ = True
    result = state.run(spec)
    script = result if isinstance(result, runs.Run) else result.script
    require_ok(state, script, f"the run {spec.name!r}")
    folder, env = state.case.folder, {**os.environ, **state.case.env}
    arrays, _ = baselines.paths(folder, spec.name)
    if config.getoption("nuitka_force_regen") or not arrays.exists():
        written = baselines.write(folder, spec.name, script.outputs, spec.baseline, env)
        pytest.fail(f"baseline written to {written}: review it and commit it", pytrace=False)
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
            script,
        )


def check_roundtrip(state: CaseState, spec: RoundTripSpec, saver: str, loader: str) -> None:
    __tracebackhide__ = True
    if "binary" in (saver, loader) and state.app().binary is None:
        pytest.skip(SKIP_REASON)
    saved, _ = state.saved(spec, saver)
    require_ok(state, saved, f"to save {spec.artifact}")
    loaded = state.load(spec, saver, loader)
    require_ok(state, loaded, f"to load the {spec.artifact} that the {saver} saved")
    differences = []
    for name in spec.outputs:
        if name not in saved.outputs or name not in loaded.outputs:
            side = saver if name not in saved.outputs else loader
            differences.append(compare.Difference(name, f"  not emitted by the {side}"))
            continue
        difference = compare.compare_array(
            name,
            saved.outputs[name],
            loaded.outputs[name],
            compare.tolerance_for(spec.rtol, name),
            compare.tolerance_for(spec.atol, name),
            (f"{saver} (in memory)", f"{loader} (loaded)"),
        )
        if difference:
            differences.append(difference)
    if differences:
        state.fail(
            f"the model the {saver} saved predicts differently when the {loader} loads it",
            differences,
            loaded,
        )
