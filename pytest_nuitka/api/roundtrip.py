"""Save/load round-trips: an artifact saved by one runtime, loaded by another (or by a tool).

Each direction saver->loader is checked: the save and the load succeed, and the load's outputs
equal a reference: what the saving run held in memory (``against="save"``), the first
direction's load (``"loads"``: for apps whose save emits nothing), or a run given by the test
(``RunPair`` or ``Run``, the manifest's ``against = "run:NAME"``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Protocol, TypedDict, Unpack

from pytest_nuitka.api.pair import RunPair
from pytest_nuitka.base.environment import version_of
from pytest_nuitka.base.errors import NuitkaPluginError
from pytest_nuitka.check import artifacts, compare, diagnose
from pytest_nuitka.check.comparison import DEFAULT, Comparison
from pytest_nuitka.check.difference import Comparator, Difference, Tolerance
from pytest_nuitka.run import runs
from pytest_nuitka.run.scheduler import Scheduler

SIDES = (runs.Side.SCRIPT, runs.Side.BINARY)


class Reference(StrEnum):
    """What a load is held against, besides a run: the saving run's own outputs, or the
    first direction's load (for an app whose save emits nothing)."""

    SAVE = "save"
    LOADS = "loads"


Against = Reference | str | RunPair | runs.Run


def as_reference(against: Against) -> Reference | RunPair | runs.Run:
    """``against`` checked: a ``Reference`` (or its name), a pair or a run."""
    if isinstance(against, (RunPair, runs.Run)):
        return against
    try:
        return Reference(against)
    except ValueError:
        raise NuitkaPluginError(
            f"against={against!r}: give {' or '.join(repr(r.value) for r in Reference)}, or a run"
        ) from None


class Driver(Protocol):
    """What a round-trip needs of the app whose runs it starts (``App``)."""

    scheduler: Scheduler
    workdir: Callable[[str], Path]

    def invocation(self, args: Sequence[str], **given: Unpack[runs.Inputs]) -> runs.Invocation: ...

    def call(
        self,
        side: str,
        *args: str,
        env: Mapping[str, str | None] | None = None,
        files: Sequence[str | Path] = (),
        timeout: float | None = None,
        read: bool = True,
        base_env: Mapping[str, str] | None = None,
    ) -> runs.Run: ...

    def wait(self, future: Future[runs.Run]) -> runs.Run: ...


@dataclass(frozen=True)
class Tool:
    """A loader other than the app: the program that reads the artifact where production
    reads it (``saved_model_cli``, ONNX Runtime, TensorFlow.js under Node).

    ``command`` comes before the load's arguments; ``{python}`` in it is the interpreter under
    test. ``needs``: distributions that must be installed, or paths (with a ``/``) that must
    exist, such as a ``node_modules`` package; ``install``: what to do when one is missing."""

    name: str  # the loader in check names: script->NAME
    command: tuple[str, ...] = ()  # default: (name,), a program on PATH
    needs: tuple[str, ...] = ()
    install: str = ""

    def __post_init__(self) -> None:
        loader_name(self.name)

    def argv(self) -> list[str]:
        command = self.command or (self.name,)
        program = command[0].replace("{python}", runs.python())
        if "/" not in program:
            program = self._program(program)
        return [program, *(a.replace("{python}", runs.python()) for a in command[1:])]

    def missing(self) -> str | None:
        """What is missing for this tool to run here, and what to do about it, or None."""
        absent = [
            need
            for need in self.needs
            if (not Path(need).exists() if "/" in need else version_of(need) is None)
        ]
        if absent:
            return f"the loader tool {self.name!r} needs {', '.join(absent)}: {self._advice}"
        return None

    @property
    def _advice(self) -> str:
        return self.install or "install the package that provides it"

    def _program(self, name: str) -> str:
        """From the interpreter's own bin folder first (a venv's console scripts), then PATH."""
        beside = Path(sys.executable).parent / name
        found = str(beside) if beside.is_file() else shutil.which(name)
        if not found:
            raise NuitkaPluginError(
                f"loader tool {self.name!r}: {name!r} not found beside {sys.executable} or on "
                f"PATH: {self._advice}"
            )
        return found


class LoaderNameError(NuitkaPluginError, ValueError):
    pass


def loader_name(name: str) -> str:
    """A loader tool's name: it follows ``->`` in a direction, ``script->NAME``."""
    if not name or "->" in name or name in SIDES:
        raise LoaderNameError(
            f"loader tool {name!r}: name it without '->', and other than "
            f"{' or '.join(SIDES)} (it is the loader in a direction, script->NAME)"
        )
    return name


def fill(args: Sequence[str], artifact: Path) -> list[str]:
    return [
        a.replace("{artifact}", str(artifact)).replace("{artifact_dir}", str(artifact.parent))
        for a in args
    ]


def directions(tool: Tool | str | None, binary: bool = True) -> list[tuple[str, str]]:
    """saver -> loader pairs, the script's own first."""
    savers = SIDES if binary else SIDES[:1]
    loaders = [tool.name if isinstance(tool, Tool) else tool] if tool else list(savers)
    return [(saver, loader) for saver in savers for loader in loaders]


class ArtifactNameError(NuitkaPluginError, ValueError):
    pass


def artifact_name(name: str) -> str:
    """A relative path inside the artifact's folder (``model.keras``, ``export/model``)."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts:
        raise ArtifactNameError(
            f"artifact {name!r}: give a relative path such as 'model.keras' or "
            "'export/model': it is created in a folder of the round-trip's own"
        )
    return name


class TripInputs(TypedDict, total=False):
    """What a test may give a round-trip besides its save, load and artifact: the loader
    ``tool`` (a program's name or a ``Tool``), and the ``files``, ``env`` and ``timeout`` of
    every save and load."""

    tool: Tool | str | None
    files: Sequence[str | Path]
    env: Mapping[str, str | None] | None
    timeout: float | None


@dataclass(frozen=True)
class Plan:
    """What a round-trip runs: the save's and the load's arguments (``{artifact}`` in them is
    the artifact's path, in a folder of its own), the artifact's name, the loader (``tool``,
    or both sides of the app) and the inputs every run gets."""

    save: tuple[str, ...]
    load: tuple[str, ...]
    artifact: str
    tool: Tool | None = None
    files: tuple[str | Path, ...] = ()
    env: Mapping[str, str | None] = field(default_factory=dict)
    timeout: float | None = None

    def __post_init__(self) -> None:
        artifact_name(self.artifact)

    @classmethod
    def of(
        cls, save: Sequence[str], load: Sequence[str], artifact: str, **given: Unpack[TripInputs]
    ) -> Plan:
        """From a test's arguments, in any form they accept (a tool by its program's name);
        a keyword it does not know is a TypeError, as Python's own."""
        unknown = sorted(given.keys() - TripInputs.__annotations__.keys())
        if unknown:
            raise TypeError(
                f"unexpected keyword argument(s) {', '.join(unknown)}; a round-trip takes "
                f"save, load, artifact, {', '.join(TripInputs.__annotations__)}"
            )
        tool = given.get("tool")
        return cls(
            tuple(save),
            tuple(load),
            artifact,
            Tool(tool) if isinstance(tool, str) else tool,
            tuple(given.get("files", ())),
            dict(given.get("env") or {}),
            given.get("timeout"),
        )


class RoundTrips:
    """The saves and loads of one round-trip for an app, each run at most once: started
    ahead (``start``, a load as soon as its save is done) or when a check needs it."""

    def __init__(self, app: Driver, name: str, plan: Plan, priority: int = 0) -> None:
        self.app, self.name, self.plan = app, name, plan
        self.tool, self.artifact_name = plan.tool, plan.artifact
        self._priority = priority
        self._base_env = dict(os.environ)  # taken here: a load may be made in a worker thread
        self._lock = threading.Lock()
        self._saves: dict[str, tuple[Future[runs.Run], Path]] = {}
        self._save_runs: dict[str, runs.Run] = {}  # the saves done, as their jobs ended
        self._wanted: dict[str, list[str]] = {}  # loaders to start once a save is done
        self._loads: dict[tuple[str, str], Future[runs.Run]] = {}

    def start(self, saver: str, loader: str) -> None:
        """Starts the save of ``saver`` and, once it saved, the load of ``loader``; returns
        at once."""
        with self._lock:
            self._save_job(saver)
            self._wanted.setdefault(saver, []).append(loader)
            if saver in self._save_runs:
                self._chain(saver)

    def settle(self) -> None:
        """Waits for every save and load started (what failed is said by ``check``)."""
        for future in [f for f, _ in self._saves.values()]:
            with contextlib.suppress(Exception):
                self.app.wait(future)
        for future in list(self._loads.values()):
            with contextlib.suppress(Exception):
                self.app.wait(future)

    def saved(self, saver: str) -> tuple[runs.Run, Path]:
        """The save run of ``saver`` and the artifact's path, in a folder of its own (not the
        run's ``{out}``, whose every file is an output)."""
        with self._lock:
            future, artifact = self._save_job(saver)
        return self.app.wait(future), artifact

    def _save_job(self, saver: str) -> tuple[Future[runs.Run], Path]:
        if saver not in self._saves:
            job, artifact = self._save_into(saver, f"{self.name}-saved-by-{saver}", {})

            def then_chain() -> runs.Run:
                run = job()
                with self._lock:
                    self._save_runs[saver] = run
                    self._chain(saver)
                return run

            self._saves[saver] = self.app.scheduler.submit(then_chain, self._priority), artifact
        return self._saves[saver]

    def _chain(self, saver: str) -> None:
        """The loads wanted of a save that is done, started where it saved its artifact."""
        run, artifact = self._save_runs[saver], self._saves[saver][1]
        if not run.ok or not artifact.exists():
            return
        for loader in self._wanted.pop(saver, []):
            if not self._missing(loader):
                self._load_job(saver, loader, artifact)

    def _load_job(self, saver: str, loader: str, artifact: Path) -> Future[runs.Run]:
        """Under the lock: the load's job, queued once."""
        if (saver, loader) not in self._loads:
            job = functools.partial(self._load_run, saver, loader, artifact)
            self._loads[saver, loader] = self.app.scheduler.submit(job, self._priority)
        return self._loads[saver, loader]

    def _save_into(
        self, saver: str, where: str, extra: Mapping[str, str | None]
    ) -> tuple[Callable[[], runs.Run], Path]:
        artifact = self.app.workdir(where) / "artifact" / self.artifact_name
        artifact.parent.mkdir(parents=True)
        args = fill(self.plan.save, artifact)
        done: list[runs.Run] = []

        def again(more: Mapping[str, str | None]) -> runs.Run:
            """Once, into an artifact folder of its own: what the loads read stays."""
            if not done:
                redo, _ = self._save_into(saver, f"{where}-again", {**extra, **more})
                done.append(runs.with_outputs(redo()))
            return done[0]

        def job() -> runs.Run:
            run = self._side(saver, args, extra)
            return dataclasses.replace(run, redo=again if run.redo else None)

        return job, artifact

    def folder(self, saver: str) -> Path:
        """The folder of what ``saver`` saved (its artifact), kept with a failure."""
        return self.saved(saver)[1].parents[len(PurePosixPath(self.artifact_name).parts)]

    def loaded(self, saver: str, loader: str) -> runs.Run:
        _, artifact = self.saved(saver)
        with self._lock:
            future = self._load_job(saver, loader, artifact)
        return self.app.wait(future)

    def _missing(self, loader: str) -> str | None:
        return self.tool.missing() if self.tool and loader == self.tool.name else None

    def _load_run(self, saver: str, loader: str, artifact: Path) -> runs.Run:
        args = fill(self.plan.load, artifact)
        if loader in SIDES:
            return self._side(loader, args, {})
        assert self.tool is not None and self.tool.name == loader
        plan = self.plan
        invocation = self.app.invocation(args, env=plan.env, files=plan.files, timeout=plan.timeout)
        folder = self.app.workdir(f"{self.name}-{saver}-to-{loader}")
        return runs.run(
            loader,
            self.tool.argv(),
            [],
            invocation,
            folder,
            self._base_env,
            read=False,
            counted=self.app.scheduler.count,
        )

    def _side(self, side: str, args: list[str], extra: Mapping[str, str | None]) -> runs.Run:
        """In the calling thread: a job's run."""
        env = {**self.plan.env, **extra}
        return self.app.call(
            side,
            *args,
            files=self.plan.files,
            env=env,
            timeout=self.plan.timeout,
            read=False,
            base_env=self._base_env,
        )

    def held_against(
        self, against: Reference | RunPair | runs.Run, saver: str
    ) -> tuple[runs.Run, str]:
        """The run whose outputs a load is held against, and how to name it."""
        if against is Reference.SAVE:
            return self.saved(saver)[0], f"the {saver}'s save run (in memory)"
        if against is Reference.LOADS:
            first, loader = directions(self.tool)[0]
            return self.loaded(first, loader), f"the {first}->{loader} load"
        run = against if isinstance(against, runs.Run) else against.script
        return run, f"the {run.side}'s run ({run.shown_args})"

    def check(
        self,
        saver: str,
        loader: str,
        against: Against = Reference.SAVE,
        outputs: Iterable[str] | None = None,
        comparison: Comparison = DEFAULT,
    ) -> tuple[str | None, list[Difference], list[runs.Run]]:
        """A direction's failure (a save, a load or the reference that failed, a save that
        wrote nothing) or its differences from the reference, and the runs they rest on.
        ``comparison``: its tolerances, comparators and exclusions apply to the outputs."""
        held = as_reference(against)
        saved, artifact = self.saved(saver)
        if not saved.ok:
            return f"the {saver} failed to save {self.artifact_name}: {problem(saved)}", [], [saved]
        if not artifact.exists():
            what = f"the {saver}'s save exited 0 and wrote no {self.artifact_name}"
            return what, [], [saved]
        missing = self._missing(loader)
        if missing:
            return missing, [], [saved]
        try:
            loaded = self.loaded(saver, loader)
        except (OSError, NuitkaPluginError) as error:  # a loader that could not start
            return f"the {loader} could not load the {self.artifact_name}: {error}", [], [saved]
        if not loaded.ok:
            what = f"the {loader} failed to load the {self.artifact_name} that the {saver} saved"
            return f"{what}: {problem(loaded)}", [], [saved, loaded]
        if held is Reference.LOADS and (saver, loader) == directions(self.tool)[0]:
            return None, [], [saved, loaded]  # the reference itself
        reference, named = self.held_against(held, saver)
        used = [saved, loaded] + ([] if reference is saved else [reference])
        if not reference.ok:
            return f"{named}, the reference, failed: {problem(reference)}", [], used
        wanted = sorted(reference.outputs) if outputs is None else list(outputs)
        wanted = [name for name in wanted if not artifacts.excluded(name, comparison.exclude)]
        if not wanted:
            return None, [_nothing(named, held)], used
        found = [
            Difference(
                name,
                f"  not emitted by {named}; it emitted: {_names(reference.outputs)}" + _hint(held),
            )
            for name in wanted
            if name not in reference.outputs
        ]
        label = f"{loader} (loaded)"
        found += [
            Difference(name, f"  not emitted by the {label}; it emitted: {_names(loaded.outputs)}")
            for name in wanted
            if name in reference.outputs and name not in loaded.outputs
        ]
        present = [n for n in wanted if n in reference.outputs and n in loaded.outputs]
        found += compare.compare_outputs(
            {n: reference.outputs[n] for n in present},
            {n: loaded.outputs[n] for n in present},
            comparison.rtol,
            comparison.atol,
            comparison.comparators,
            comparison.exclude,
            (named, label),
        )
        titled = [dataclasses.replace(d, title=f"{d.title}; held against {named}") for d in found]
        return None, titled, used


def problem(run: runs.Run) -> str:
    return run.exception or run.status


def _names(outputs: Mapping[str, object]) -> str:
    return ", ".join(sorted(outputs)) or "nothing"


def _hint(held: Reference | RunPair | runs.Run) -> str:
    if held is not Reference.SAVE:
        return ""
    return (
        "\n  a save that emits nothing can be held against the loads (against='loads') or "
        'against a run\'s outputs (against=<run>; in a manifest against = "run:NAME")'
    )


def _nothing(named: str, held: Reference | RunPair | runs.Run) -> Difference:
    return Difference(
        f"nothing to compare: {named} emitted nothing", "  outputs compared: none" + _hint(held)
    )


@dataclass(frozen=True)
class RoundTrip:
    """Every direction of one round-trip, run; ``assert_match`` checks them all at once.
    ``session``: the comparison every direction starts from (ini keys)."""

    trips: RoundTrips
    directions: tuple[tuple[str, str], ...]
    session: Comparison = DEFAULT

    def __getitem__(self, direction: str) -> runs.Run:
        """The load of ``"saver->loader"``, e.g. ``trip["binary->script"]``."""
        saver, _, loader = direction.partition("->")
        if (saver, loader) not in self.directions:
            raise KeyError(f"{direction!r}; the directions are: {', '.join(self.names)}")
        return self.trips.loaded(saver, loader)

    @property
    def names(self) -> list[str]:
        return [f"{s}->{t}" for s, t in self.directions]

    def saved(self, saver: str) -> runs.Run:
        return self.trips.saved(saver)[0]

    def assert_match(
        self,
        rtol: Tolerance = 0.0,
        atol: Tolerance = 0.0,
        *,
        outputs: Iterable[str] | None = None,
        against: Against = Reference.SAVE,
        comparators: Mapping[str, Comparator | str] | None = None,
        exclude: Iterable[str] = (),
    ) -> None:
        """Every direction saves, loads and predicts what ``against`` holds: ``"save"`` (the
        saving run's own outputs, the default), ``"loads"`` (the script->script load) or a
        run. ``outputs``: the names compared (default: all the reference emitted)."""
        mine = Comparison.of(rtol, atol, comparators=comparators, exclude=exclude)
        self.check(mine, against, outputs)

    def check(
        self,
        comparison: Comparison = DEFAULT,
        against: Against = Reference.SAVE,
        outputs: Iterable[str] | None = None,
    ) -> None:
        """Fail with every direction's differences under ``comparison`` (layered on the
        session's), in one message."""
        how = self.session.then(comparison)
        wanted = None if outputs is None else tuple(outputs)
        found: list[Difference] = []
        seen: list[runs.Run] = []
        for saver, loader in self.directions:
            failed, differences, used = self.trips.check(saver, loader, against, wanted, how)
            seen += [run for run in used if all(run is not s for s in seen)]
            where = f"{saver}->{loader}"
            if failed:
                found.append(Difference(where, f"  {failed}"))
            found += [dataclasses.replace(d, title=f"{where}: {d.title}") for d in differences]
        if found:
            bad = sorted({d.title.split(":")[0] for d in found})
            title = (
                f"round-trip {self.trips.name!r} ({self.trips.artifact_name}) fails in "
                f"{len(bad)} of {len(self.directions)} direction(s): {', '.join(bad)}"
            )
            savers = dict.fromkeys(saver for saver, _ in self.directions)
            artifacts = [self.trips.folder(saver) for saver in savers]
            diagnose.fail(title, found, seen, folders=artifacts)
