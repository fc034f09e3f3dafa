"""Run the script or the binary once: fresh working directory, same argv, stdin and env."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TypedDict

from pytest_nuitka.base import process
from pytest_nuitka.base.environment import module_search_path, with_overrides
from pytest_nuitka.base.errors import NuitkaPluginError
from pytest_nuitka.emit import ENV_VAR, RUNTIME_VAR
from pytest_nuitka.run import failures
from pytest_nuitka.run.normalize import DEFAULT, Policy, normalize
from pytest_nuitka.run.outputs import load_outputs

# Set the same way for both sides so that neither run is noisier or more random than the other.
RUN_ENV = {"PYTHONHASHSEED": "0", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONDONTWRITEBYTECODE": "1"}


class Side(StrEnum):
    """The two programs a pair runs; a round-trip's loader tool runs under its own name."""

    SCRIPT = "script"
    BINARY = "binary"


@dataclass(frozen=True)
class Build:
    """How the binary of a run was built: what a diagnosis may read besides the run."""

    mode: str
    options: tuple[str, ...] = ()
    ship: tuple[str, ...] = ()  # packages carried uncompiled


@dataclass(frozen=True)
class Run:
    side: Side | str  # a Side, or the name of the tool that loaded a round-trip
    argv: tuple[str, ...]
    cwd: Path
    returncode: int
    raw_stdout: bytes = field(repr=False)
    raw_stderr: bytes = field(repr=False)
    stdout: str  # normalised
    outputs: dict[str, Any] = field(repr=False)
    seconds: float
    timed_out: bool
    timeout: float
    outputs_read: bool = field(default=True, repr=False)  # False until ``with_outputs``
    max_rss_kb: int = 0  # peak resident memory of the run
    cpu_seconds: float = 0.0
    env: Mapping[str, str] = field(default_factory=dict, repr=False)  # as the run got it
    # Each whole stream, also past the capture limit: compared when any of it was dropped.
    stdout_stream: process.Stream = field(default=process.Stream(), repr=False)
    stderr_stream: process.Stream = field(default=process.Stream(), repr=False)
    # literal paths of this run (its folders, the script, the binary) -> placeholders
    placeholders: Mapping[str, str] = field(default_factory=dict, repr=False)
    # what the process loaded and saw, recorded at exit by pytest_nuitka.emit (empty when the
    # app does not import it, or the process was killed)
    runtime: Mapping[str, Any] = field(default_factory=dict, repr=False)
    # the same run again in a fresh folder, with variables added (None where that cannot
    # change anything: a standalone binary ignores PYTHONPATH)
    redo: Callable[[Mapping[str, str | None]], Run] | None = field(
        default=None, repr=False, compare=False
    )
    build: Build | None = field(default=None, repr=False)  # the binary's, for binary runs

    @property
    def shown_args(self) -> str:
        """The arguments after the program, short (paths by their last part), for headers."""
        args = self.argv[2:] if self.side == Side.SCRIPT else self.argv[1:]
        text = " ".join(Path(a).name if "/" in a else a for a in args)
        return text if len(text) <= 60 else text[:57] + "..."

    @property
    def folder(self) -> Path:
        """The run's own folder: its working directory, outputs and runtime record."""
        return self.cwd.parent

    @property
    def stderr(self) -> str:
        return self.raw_stderr.decode("utf-8", "backslashreplace")

    @property
    def dropped_bytes(self) -> int:
        return self.stdout_stream.dropped + self.stderr_stream.dropped

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def status(self) -> str:
        if self.timed_out:
            return f"hung: no exit within {self.timeout:g}s, its process tree was killed"
        if self.returncode < 0:
            try:
                name = signal.Signals(-self.returncode).name
            except ValueError:
                name = "an unknown signal"
            return f"killed by {name} (signal {-self.returncode})"
        return f"exit status {self.returncode}"

    @property
    def exception(self) -> str | None:
        """'Type: message' of the last exception the run printed, if any (for display: a
        failure is compared whole, see ``failure``)."""
        return failures.headline(self.stderr)

    def normalized_stdout(self, policy: Policy = DEFAULT) -> str:
        if policy == DEFAULT:
            return self.stdout
        text = self.raw_stdout.decode("utf-8", "backslashreplace")
        return normalize(text, self.placeholders, policy=policy)

    def normalized_stderr(self, policy: Policy = DEFAULT) -> str:
        """Stderr as compared: without TensorFlow's start-up chatter and the interpreter's own
        lines, each traceback as one line (the exit check compares them), normalised."""
        text = failures.without_tracebacks(failures.drop_noise(self.stderr))
        return normalize(text, self.placeholders, policy=policy, stream="stderr")

    def failure(self, policy: Policy = DEFAULT) -> failures.Failure:
        """Every traceback in stderr (chained causes, detail lines, a child's too) and, for
        a failed run without one, its last stderr line, normalised."""

        def clean(text: str) -> str:
            return normalize(text, self.placeholders, policy=policy)

        def in_app(file: str) -> bool:
            return file == "<app>" or file.startswith("<appdir>/")

        return failures.failure(
            self.stderr,
            not self.ok,
            clean,
            in_app,
            line_numbers=not policy.has("app-line-numbers"),
            source=not policy.has("traceback-source"),
        )

    def warnings(self, policy: Policy = DEFAULT) -> list[str]:
        text = failures.drop_noise(self.stderr)
        return failures.warnings(normalize(text, self.placeholders, policy=policy, stream="stderr"))


class Inputs(TypedDict, total=False):
    """What a test may give a run besides its argv, as keywords: ``stdin`` (text or bytes),
    ``env`` (a variable set to None is unset), ``files`` copied into its fresh folder, and
    its ``timeout`` in seconds. Read into an ``Invocation``."""

    stdin: str | bytes | None
    env: Mapping[str, str | None] | None
    files: Sequence[str | Path]
    timeout: float | None


@dataclass(frozen=True)
class Invocation:
    """What both sides get: argv (``{out}`` is the run's output directory), stdin, env
    overrides, files copied into the fresh working directory, time limit."""

    args: tuple[str, ...]
    stdin: bytes | None
    env: Mapping[str, str | None]
    files: tuple[Path, ...]
    timeout: float


def run(
    side: str,
    command: Sequence[str],
    app_paths: Sequence[Path],
    invocation: Invocation,
    folder: Path,
    base_env: Mapping[str, str] | None = None,
    source_dir: Path | None = None,
    read: bool = True,
    counted: Callable[[Run], None] | None = None,
) -> Run:
    """``app_paths``: the script and the binary; either one printed reads as ``<app>``, its
    folder as ``<appdir>``. ``base_env``: what the invocation's variables go on top of (the
    caller's environment unless given). ``read=False``: the outputs are left to
    ``with_outputs``, called in the main thread (for a run made in a worker thread).
    ``counted``: told of each run ``redo`` makes (the session's summary counts them)."""

    done_again: dict[tuple[tuple[str, str | None], ...], Run] = {}

    def again(extra: Mapping[str, str | None]) -> Run:
        """Once per set of variables: a run in several failing checks is run again once."""
        key = tuple(sorted(extra.items(), key=lambda item: item[0]))
        if key not in done_again:
            changed = dataclasses.replace(invocation, env={**invocation.env, **extra})
            fresh = folder.with_name(f"{folder.name}-again{len(done_again) + 1}")
            done_again[key] = run(
                side, command, app_paths, changed, fresh, base_env, source_dir, counted=counted
            )
            if counted is not None:
                counted(done_again[key])
        return done_again[key]

    cwd, out = folder / "cwd", folder / "out"
    cwd.mkdir(parents=True)
    out.mkdir()
    for item in invocation.files:
        target = cwd / item.name
        if item.is_dir():
            shutil.copytree(item, target)
        else:
            shutil.copy2(item, target)
    argv = [*command, *(arg.replace("{out}", str(out)) for arg in invocation.args)]
    base = os.environ if base_env is None else base_env
    record = folder / "runtime.json"
    env = with_overrides(
        base, RUN_ENV, invocation.env, {ENV_VAR: str(out), RUNTIME_VAR: str(record)}
    )
    child_env = env
    if source_dir is not None:  # an accelerated binary, which removes the variable at start
        child_env = {**env, "NUITKA_PYTHONPATH": beside_source(source_dir, env)}
    done = process.run(
        argv, cwd=cwd, env=child_env, stdin=invocation.stdin, timeout=invocation.timeout
    )
    (folder / "stdout.txt").write_bytes(done.stdout)  # kept with a failure, whole as captured
    (folder / "stderr.txt").write_bytes(done.stderr)
    placeholders = {
        str(out): "<out>",
        str(cwd): "<cwd>",
        str(folder): "<run>",
        sys.executable: "<python>",
    }
    placeholders.update(program_names(app_paths, done.stdout + done.stderr, source_dir))
    return Run(
        side=side,
        argv=tuple(argv),
        cwd=cwd,
        returncode=done.returncode,
        raw_stdout=done.stdout,
        raw_stderr=done.stderr,
        stdout=normalize(done.stdout.decode("utf-8", "backslashreplace"), placeholders),
        outputs=_outputs(side, out) if read else {},
        outputs_read=read,
        seconds=done.seconds,
        timed_out=done.timed_out,
        timeout=invocation.timeout,
        max_rss_kb=done.max_rss_kb,
        cpu_seconds=done.cpu_seconds,
        env=env,
        stdout_stream=done.stdout_stream,
        stderr_stream=done.stderr_stream,
        placeholders=placeholders,
        runtime=_runtime(record),
        redo=None if side == Side.BINARY and source_dir is None else again,
    )


# Where a onefile binary unpacks itself: Nuitka's default {TEMP}/onefile_{PID}_{TIME}.
ONEFILE_FOLDER = re.compile(r"(?:/[^\s'\"/:]+)*/onefile_\d+_\d+(?:_[\w-]+)?")


def program_names(
    app_paths: Sequence[Path], printed: bytes, source_dir: Path | None = None
) -> dict[str, str]:
    """The placeholders for the programs a run may print (rule ``run-paths``): the script and
    each binary as ``<app>`` and their folders as ``<appdir>``; the binary's own file name as
    the script's (argparse's ``usage: app.py``, from ``sys.argv[0]``); a standalone dist's or a
    onefile binary's copy of the main module (a warning's location) as ``<app>``. An
    accelerated binary (``source_dir``: found beside its source) adds its own folder to
    ``sys.path`` ahead of the source folder; where a list or search path prints it, it goes."""
    if not app_paths:
        return {}
    script, *binaries = app_paths
    names = {str(script): "<app>", str(script.parent): "<appdir>"}
    folders = [path.parent for path in binaries]
    text = printed.decode("utf-8", "backslashreplace")
    folders += [Path(found) for found in dict.fromkeys(ONEFILE_FOLDER.findall(text))]
    for folder in folders:
        names.update({str(folder): "<appdir>", str(folder / script.name): "<app>"})
    for binary in binaries:
        names[str(binary)] = "<app>"
        if binary.name != script.name:
            names[binary.name] = script.name
        if source_dir is not None:
            names[f"{str(binary.parent)!r}, "] = ""
            names[f"{binary.parent}{os.pathsep}"] = ""
    return names


def with_outputs(run: Run) -> Run:
    """The run with what it left in its output folder read. NumPy reads an array's header
    with ``ast``, whose state CPython 3.11 shares between threads: a worker thread reading
    while the main thread parses (pytest showing a failure's source) can fail with
    "SystemError: AST constructor recursion depth mismatch". So reading stays in one thread."""
    if run.outputs_read:
        return run
    outputs = _outputs(run.side, run.folder / "out")
    return dataclasses.replace(run, outputs=outputs, outputs_read=True)


def _runtime(record: Path) -> dict[str, Any]:
    try:
        found = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _outputs(side: str, folder: Path) -> dict[str, Any]:
    try:
        return load_outputs(folder)
    except (OSError, ValueError) as error:
        raise NuitkaPluginError(
            f"the {side} wrote an output that cannot be read ({error}); "
            f"the files are kept in {folder}"
        ) from None


def beside_source(source_dir: Path, env: Mapping[str, str]) -> str:
    """The module search path an accelerated binary gets through Nuitka's NUITKA_PYTHONPATH:
    the script's folder, then what the interpreter searches before its site-packages (which
    the binary's own start-up adds). Without it the binary's first entry is the cache folder
    it lies in, and a module beside the source that was not compiled in (imported by a
    computed name) is found by the script and not by the binary."""
    return os.pathsep.join([str(source_dir), *module_search_path(env, site=False)])


def python() -> str:
    """The interpreter under test: the one that runs Nuitka, so builds are made against it."""
    return sys.executable
