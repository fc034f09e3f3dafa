"""Name the known issue behind a failing check, from the table in ``known_issues.toml``.

A diagnosis rests on evidence the plugin sees itself in the failing check's own runs: what
they printed, the environment they got, how the binary was built and what the app's source
imports. The runtime record of ``pytest_nuitka.emit`` (what a process really loaded) adds
evidence where the app imports it, and is never required. A build option alone is never
enough: it may have had no effect.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pytest_nuitka.base.errors import CheckFailed
from pytest_nuitka.check import source as source_evidence
from pytest_nuitka.check.compare import render
from pytest_nuitka.check.difference import Difference
from pytest_nuitka.run import unfilter
from pytest_nuitka.run.runs import Run, Side

TABLE = "known_issues.toml"
TRIGGERS = {"output", "env", "runtime"}
FIELDS = {"id", "title", "explain", "remedy", "verified", "link", "side", *TRIGGERS}


@dataclass(frozen=True)
class KnownIssue:
    id: str
    title: str
    explain: str
    remedy: str
    verified: str  # the test that applies the remedy and sees the check pass
    link: str | None
    output: re.Pattern[str] | None
    env: tuple[str, str] | None
    runtime: str | None  # a probe of RUNTIME_PROBES
    side: str | None


@dataclass(frozen=True)
class Diagnosis:
    issue: KnownIssue
    side: str
    evidence: str

    def render(self) -> str:
        issue = self.issue
        lines = [
            f"known issue [{issue.id}] in the {self.side}: {issue.title}",
            f"  seen: {self.evidence}",
            f"  why: {issue.explain}",
            f"  do: {issue.remedy}",
        ]
        if issue.link:
            lines.append(f"  see: {issue.link}")
        return "\n".join(lines)


class DiagnosedFailure(CheckFailed):
    """A check's failure that carries the known issues it matched, for the report, and the
    folders behind it (runs, artifacts), kept when the test fails."""

    def __init__(
        self, msg: str, diagnoses: Sequence[Diagnosis], folders: Sequence[Path] = ()
    ) -> None:
        super().__init__(msg)
        self.msg = msg
        self.diagnoses = tuple(diagnoses)
        self.folders = tuple(folders)


def _keras(run: Run) -> tuple[str, ...] | None:
    found = run.runtime.get("keras")
    return tuple(found) if isinstance(found, list) else None


LEGACY_VALUES = ("1", "true", "True", "yes")
TORCH_JIT_OFF = "--module-parameter=torch-disable-jit=yes"


def _script_source(runs: Sequence[Run]) -> Path | None:
    for run in runs:
        if run.side == Side.SCRIPT and len(run.argv) > 1:
            return Path(run.argv[1])
    return None


def _keras_differs(runs: Sequence[Run]) -> tuple[str, str] | None:
    """Two runs of the check loaded the model code of different Keras implementations (their
    records say so); without records, the binary ran with TF_USE_LEGACY_KERAS set and the
    app's source imports tensorflow.keras, which Nuitka rewrites at compile time."""
    recorded = [run for run in runs if _keras(run)]
    if not recorded:
        return _legacy_keras_rewritten(runs)
    for pair in itertools.combinations(recorded, 2):
        if _keras(pair[0]) != _keras(pair[1]):
            first, second = sorted(pair, key=lambda run: run.side == Side.BINARY)
            return second.side, (
                f"the {first.side} loaded the model code of {_named(first)}, "
                f"the {second.side} of {_named(second)}"
            )
    return None


def _legacy_keras_rewritten(runs: Sequence[Run]) -> tuple[str, str] | None:
    source = _script_source(runs)
    binary = next((run for run in runs if run.side == Side.BINARY), None)
    if source is None or binary is None:
        return None
    if binary.env.get("TF_USE_LEGACY_KERAS") not in LEGACY_VALUES:
        return None
    found = source_evidence.mentions(source, "tensorflow.keras", imports_only=True)
    if found is None:
        return None
    return Side.BINARY, (
        f"TF_USE_LEGACY_KERAS={binary.env['TF_USE_LEGACY_KERAS']} in the binary's environment, "
        f"and the app imports {found[1]} ({found[0]}), which Nuitka rewrites to Keras 3's at "
        "compile time"
    )


def _named(run: Run) -> str:
    versions = run.runtime.get("versions", {})
    return " and ".join(
        f"tf_keras {versions.get('tf_keras', '?')}"
        if kind == "tf_keras"
        else f"Keras {versions.get('keras', '?')}"
        for kind in _keras(run) or ()
    )


def _jit_state(run: Run) -> bool | None:
    """Whether torch's JIT was on in the run, as the process recorded it (None: no record, or
    torch never loaded)."""
    state = run.runtime.get("torch_jit")
    return state if isinstance(state, bool) else None


def _torch_jit_off(runs: Sequence[Run]) -> tuple[str, str] | None:
    """The JIT was off in one run of the check and on in another, by their own records;
    without records, by what the plugin sees: the app's source uses torch.jit, and the binary
    alone ran with PYTORCH_JIT=0 or was built standalone with Nuitka's JIT switch off (and
    torch compiled into it, where the switch applies)."""
    if not any(_jit_state(run) is not None for run in runs):
        return _torch_jit_switched_off(runs)
    states = [(run, _jit_state(run)) for run in runs]
    on = [run for run, state in states if state is True]
    off = [run for run, state in states if state is False]
    if not on or not off:
        return None
    run = off[0]
    inside = run.runtime.get("env", {}).get("PYTORCH_JIT")
    return run.side, (
        f"the {run.side} recorded torch.jit as disabled (PYTORCH_JIT={inside!r} inside it); "
        f"the {on[0].side} had the JIT on"
    )


def _torch_jit_switched_off(runs: Sequence[Run]) -> tuple[str, str] | None:
    source = _script_source(runs)
    binary = next((run for run in runs if run.side == Side.BINARY), None)
    script = next((run for run in runs if run.side == Side.SCRIPT), None)
    if source is None or binary is None or script is None:
        return None
    if script.env.get("PYTORCH_JIT") == "0":
        return None  # off in the script too: nothing the binary does differently
    found = source_evidence.mentions(source, "torch.jit")
    if found is None:
        return None
    uses = f"the app uses {found[1]} ({found[0]})"
    if binary.env.get("PYTORCH_JIT") == "0":
        return Side.BINARY, f"PYTORCH_JIT=0 in the binary's environment, not the script's; {uses}"
    build = binary.build
    if (
        build is not None
        and build.mode != "accelerated"
        and TORCH_JIT_OFF in build.options
        and "torch" not in build.ship
    ):
        return Side.BINARY, (
            f"the binary was built {build.mode} with {TORCH_JIT_OFF} and torch compiled in, "
            f"which sets PYTORCH_JIT=0 before torch loads; {uses}"
        )
    return None


RUNTIME_PROBES: dict[str, Callable[[Sequence[Run]], tuple[str, str] | None]] = {
    "keras-implementation": _keras_differs,
    "torch-jit": _torch_jit_off,
}


def _issue(raw: dict[str, Any]) -> KnownIssue:
    unknown = set(raw) - FIELDS
    if unknown:
        raise ValueError(f"{TABLE}: issue {raw.get('id')!r} has unknown keys {sorted(unknown)}")
    runtime = raw.get("runtime")
    if runtime is not None and runtime not in RUNTIME_PROBES:
        raise ValueError(f"{TABLE}: issue {raw['id']!r}: unknown runtime probe {runtime!r}")
    env = raw.get("env")
    return KnownIssue(
        id=raw["id"],
        title=raw["title"],
        explain=raw["explain"],
        remedy=raw["remedy"],
        verified=raw["verified"],
        link=raw.get("link"),
        output=_pattern(raw) if "output" in raw else None,
        env=_variable(env) if env else None,
        runtime=runtime,
        side=raw.get("side"),
    )


def _variable(setting: str) -> tuple[str, str]:
    name, _, value = setting.partition("=")
    return name, value


def _pattern(raw: dict[str, Any]) -> re.Pattern[str]:
    try:
        return re.compile(raw["output"])
    except (re.error, TypeError) as error:
        raise ValueError(
            f"{TABLE}: issue {raw.get('id')!r}: output is not a regular expression ({error})"
        ) from None


@functools.cache
def known_issues() -> tuple[KnownIssue, ...]:
    text = resources.files(__package__).joinpath(TABLE).read_text(encoding="utf-8")
    return tuple(_issue(raw) for raw in tomllib.loads(text)["issue"])


def _evidence(issue: KnownIssue, run: Run) -> str | None:
    if issue.side and run.side != issue.side:
        return None
    if issue.output and not run.ok:
        found = issue.output.search(run.stderr) or issue.output.search(run.stdout)
        if found:
            return found.group(0).strip().splitlines()[-1].strip()
    if issue.env and run.env.get(issue.env[0]) == issue.env[1]:
        return f"{issue.env[0]}={issue.env[1]} in the {run.side}'s environment"
    return None


def diagnose(runs: Iterable[Run]) -> list[Diagnosis]:
    """Known issues seen in the runs of a failing check, each named once, in table order."""
    found: dict[str, Diagnosis] = {}
    runs = list(runs)
    for issue in known_issues():
        if issue.runtime:
            seen = RUNTIME_PROBES[issue.runtime](runs)
            if seen and (issue.side is None or seen[0] == issue.side):
                found[issue.id] = Diagnosis(issue, *seen)
            continue
        for run in runs:
            evidence = _evidence(issue, run)
            if evidence and issue.id not in found:
                found[issue.id] = Diagnosis(issue, run.side, evidence)
    return list(found.values())


def fail(
    title: str,
    differences: list[Difference],
    runs: Sequence[Run],
    after: Sequence[str] = (),
    folders: Sequence[Path] = (),
) -> None:
    """Fail the check with the differences, the known issues they match first; ``after``:
    notes that follow the differences (one-sided warnings, the normalisation used);
    ``folders``: what the failure rests on besides the runs' own folders (artifacts). A run
    whose error Keras's traceback filter hid is run again without it, and diagnosed too."""
    again: list[Run] = []
    try:  # the failure stands whatever goes wrong in naming it
        again = unfilter.reveal(runs)
        diagnoses = diagnose([*runs, *again])
        notes = [d.render() for d in diagnoses] + [unfilter.note(run) for run in again]
    except Exception as error:
        diagnoses, notes = [], [f"(no known issue could be looked for: {error})"]
    try:
        differences, written = write_files(differences, runs[0].folder.parent if runs else None)
    except OSError as error:
        written, after = [], [*after, f"(the differences' files were not written: {error})"]
    raise DiagnosedFailure(
        render(title, differences, *runs, notes=notes, after=after),
        diagnoses,
        [*dict.fromkeys([*(run.folder for run in [*runs, *again]), *folders, *written])],
    )


def write_files(
    differences: Sequence[Difference], beside: Path | None
) -> tuple[list[Difference], list[Path]]:
    """The differences' ``files`` (a diff image) written into a new ``differences-*`` folder
    in ``beside`` (the runs' parent; None: the system's temporary folder), each named at
    the end of its difference's detail; and that folder, kept with the runs'."""
    if not any(d.files for d in differences):
        return list(differences), []
    folder = Path(tempfile.mkdtemp(prefix="differences-", dir=beside))
    shown = []
    for difference in differences:
        lines = []
        for name, content in difference.files.items():
            path = folder / name
            if path.exists():  # the same file name from two differences
                path = folder / f"{len(list(folder.iterdir()))}-{name}"
            try:
                path.write_bytes(content)
            except OSError as error:  # evidence only: never the reason a check fails
                lines.append(f"  {name} not written: {error}")
            else:
                lines.append(f"  kept: {path}")
        detail = "\n".join([difference.detail, *lines])
        shown.append(dataclasses.replace(difference, detail=detail))
    return shown, [folder]
