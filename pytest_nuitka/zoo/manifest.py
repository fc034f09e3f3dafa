"""A model zoo case: the ``nuitka-case.toml`` beside an app, read and checked.

Every key is checked here, so that a malformed manifest is one collection error that names
the file, the key and what is allowed, and the rest of the plugin reads plain dataclasses.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar, cast

from pytest_nuitka.api.roundtrip import Plan, Reference, Tool, artifact_name, loader_name
from pytest_nuitka.base.settings import MODES, Mode
from pytest_nuitka.check.artifacts import check_name
from pytest_nuitka.check.comparison import DEFAULT, Comparison
from pytest_nuitka.check.diagnose import known_issues
from pytest_nuitka.check.difference import Tolerance
from pytest_nuitka.run.normalize import check_rule_names, parse_noise
from pytest_nuitka.zoo.conditions import first_problem

MANIFEST_NAME = "nuitka-case.toml"
T = TypeVar("T")


class Outcome(StrEnum):
    """What an expectation makes of its checks where its conditions hold."""

    XFAIL = "xfail"  # strict: the known issue must still fail them
    SKIP = "skip"  # they cannot run there at all


class ManifestError(Exception):
    def __init__(self, path: Path, key: str, problem: str) -> None:
        super().__init__(f"{path}: {key}: {problem}")


COMPARISON_KEYS = {"strict", "rules", "noise", "stderr", "comparators", "exclude"}


@dataclass(frozen=True)
class RunSpec:
    name: str
    args: tuple[str, ...]
    stdin: str | None
    files: tuple[str, ...]
    baseline: tuple[str, ...]  # outputs held against the committed baseline across cells
    comparison: Comparison = DEFAULT  # its tolerances, argmax, stdout and the case's keys


@dataclass(frozen=True)
class RoundTripSpec:
    name: str
    plan: Plan  # its files under the case's folder; a tool loads instead of the app
    outputs: tuple[str, ...] | None  # None: every output the reference emitted
    # what each load is held against: the saving run, the first direction's load, or (the
    # manifest's "run:NAME") the script's outputs in the [[runs]] named ``against_run``
    against: Reference = Reference.SAVE
    against_run: str | None = None
    comparison: Comparison = DEFAULT


@dataclass(frozen=True)
class Expectation:
    checks: tuple[str, ...]  # fnmatch patterns over check names
    when: tuple[str, ...]
    outcome: Outcome
    issue: str
    diagnosis: str | None  # an id from known_issues.toml the failure must be diagnosed as
    modes: tuple[Mode, ...]  # the build modes it holds in (default: every mode)


@dataclass(frozen=True)
class Case:
    path: Path  # the manifest
    description: str
    requires: tuple[str, ...]  # conditions; every check is skipped where one does not hold
    app: Path
    mode: Mode | None
    ship: tuple[str, ...]
    options: tuple[str, ...]
    data: tuple[Path, ...]
    env: dict[str, str]
    timeout: float | None
    baseline_rtol: float
    baseline_atol: float
    runs: tuple[RunSpec, ...]
    roundtrips: tuple[RoundTripSpec, ...]
    expectations: tuple[Expectation, ...]
    comparison: Comparison = DEFAULT  # what the case's runs and round-trips start from

    @property
    def folder(self) -> Path:
        return self.path.parent


class _Reader:
    """Typed access to one TOML table, naming the full key in every error."""

    def __init__(self, path: Path, table: dict[str, Any], prefix: str, allowed: set[str]) -> None:
        self.path, self.table, self.prefix = path, table, prefix
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise ManifestError(
                path, self.key(unknown[0]), f"unknown key; allowed: {', '.join(sorted(allowed))}"
            )

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def fail(self, name: str, problem: str) -> ManifestError:
        return ManifestError(self.path, self.key(name), problem)

    def get(
        self,
        name: str,
        kind: Callable[[Any], T | None],
        what: str,
        default: Any = None,
        required: bool = False,
    ) -> T:
        if name not in self.table:
            if required:
                raise self.fail(name, f"required ({what})")
            return default  # type: ignore[no-any-return]
        value = kind(self.table[name])
        if value is None:
            raise self.fail(name, f"expected {what}, got {self.table[name]!r}")
        return value

    def text(self, name: str, default: str | None = None, required: bool = False) -> str:
        return self.get(
            name,
            lambda v: v if isinstance(v, str) and v else None,
            "a non-empty string",
            default,
            required,
        )

    def texts(self, name: str) -> tuple[str, ...]:
        return self.get(
            name,
            lambda v: (
                tuple(v) if isinstance(v, list) and all(isinstance(x, str) for x in v) else None
            ),
            "a list of strings",
            (),
        )

    def conditions(self, name: str) -> tuple[str, ...]:
        values = self.texts(name)
        problem = first_problem(values)
        if problem:
            raise self.fail(name, problem)
        return values

    def checked(self, name: str, check: Callable[[str], str]) -> str:
        """A required string that ``check`` accepts (its ValueError names the problem)."""
        value = self.text(name, required=True)
        try:
            return check(value)
        except ValueError as error:
            raise self.fail(name, str(error)) from None

    def number(self, name: str, default: float | None, above: bool = False) -> float:
        """A finite number >= 0 (> 0 with ``above``: a time limit of 0 is no limit)."""
        return self.get(
            name,
            lambda v: (
                float(v)
                if isinstance(v, int | float)
                and not isinstance(v, bool)
                and math.isfinite(v)
                and (v > 0 if above else v >= 0)
                else None
            ),
            "a number above 0" if above else "a number >= 0",
            default,
        )

    def file_name(self, name: str) -> str:
        """A name that becomes a file's (a baseline's, a test id's): no folder, no way out
        of the case's folder."""
        return self.get(
            name,
            lambda v: (
                v
                if isinstance(v, str)
                and v.strip(".")
                and not v.startswith(".")
                and not {"/", "\\", "\0"} & set(v)
                else None
            ),
            "a non-empty name without '/', '\\' or a leading '.'",
            None,
            True,
        )

    def tolerance(self, name: str) -> Tolerance:
        def kind(value: Any) -> Tolerance | None:
            if isinstance(value, dict):
                ok = all(isinstance(v, int | float) and v >= 0 for v in value.values())
                return {str(k): float(v) for k, v in value.items()} if ok else None
            return float(value) if isinstance(value, int | float) and value >= 0 else None

        return cast(
            Tolerance, self.get(name, kind, "a number >= 0 or a table of output name = number", 0.0)
        )

    def flag(self, name: str, default: bool) -> bool:
        return self.get(
            name, lambda v: v if isinstance(v, bool) else None, "true or false", default
        )

    def named_tables(self, name: str) -> list[tuple[str, dict[str, Any]]]:
        """``[name.KEY]`` tables, by KEY."""
        value = self.table.get(name, {})
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            raise self.fail(name, f"expected tables ([{name}.NAME])")
        return list(value.items())

    def tables(self, name: str) -> list[tuple[str, dict[str, Any]]]:
        value = self.table.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(name, f"expected an array of tables ([[{name}]])")
        return [(f"{self.key(name)}[{i}].", v) for i, v in enumerate(value)]


def _comparison(r: _Reader, **check: Any) -> Comparison:
    """The comparison keys of a table; ``check``: its own (rtol, atol, argmax, stdout)."""

    def flag(name: str) -> bool | None:
        return r.flag(name, False) if name in r.table else None

    rules = r.texts("rules")
    unknown = check_rule_names(rules)
    if unknown:
        raise r.fail("rules", f"unknown rule(s) {', '.join(unknown)}")

    def strings(value: Any) -> dict[str, str] | None:
        ok = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
        return {str(k): v for k, v in value.items()} if ok else None

    noise = r.get("noise", strings, 'a table of "regex" = "replacement"', {})
    try:
        parsed = parse_noise(noise)
    except ValueError as error:
        raise r.fail("noise", str(error)) from None
    comparators = r.get("comparators", strings, 'a table of "name or pattern" = "comparator"', {})
    for comparator in comparators.values():
        try:
            check_name(comparator)
        except ValueError as error:
            raise r.fail("comparators", str(error)) from None
    return Comparison(
        **check,
        stderr=flag("stderr"),
        strict=flag("strict"),
        rules=rules,
        noise=parsed,
        comparators=comparators,
        exclude=r.texts("exclude"),
    )


def _unique(path: Path, key: str, names: list[str]) -> None:
    seen = set()
    for name in names:
        if name in seen:
            raise ManifestError(path, key, f"name {name!r} is used twice")
        seen.add(name)


CASE_KEYS = {
    "description",
    "requires",
    "app",
    "mode",
    "ship",
    "options",
    "data",
    "env",
    "timeout",
    "baseline_rtol",
    "baseline_atol",
    "runs",
    "roundtrips",
    "expect",
    "tools",
    *COMPARISON_KEYS,
}
RUN_KEYS = {"name", "args", "stdin", "files", "argmax", "stdout", "rtol", "atol", "baseline"}
ROUNDTRIP_KEYS = {
    "name",
    "save",
    "load",
    "tool",
    "artifact",
    "files",
    "outputs",
    "rtol",
    "atol",
    "against",
}
EXPECT_KEYS = {"checks", "when", "outcome", "issue", "diagnosis", "modes"}
TOOL_KEYS = {"command", "needs", "install"}


def load_case(path: Path) -> Case:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ManifestError(path, "(file)", f"not valid TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise ManifestError(
            path, "(file)", f"not UTF-8 (byte {error.start}): save it as UTF-8, as TOML requires"
        ) from None
    except OSError as error:
        raise ManifestError(path, "(file)", f"cannot be read: {error}") from None
    top = _Reader(path, raw, "", CASE_KEYS)
    app = path.parent / top.text("app", "app.py")
    if not app.is_file():
        raise top.fail("app", f"{app} does not exist")
    mode = top.text("mode")
    if mode is not None and mode not in MODES:
        raise top.fail("mode", f"{mode!r} is not one of {', '.join(MODES)}")
    data = tuple(path.parent / item for item in top.texts("data"))
    for item in data:
        if not item.exists():
            raise top.fail("data", f"{item} does not exist")
    env = top.get(
        "env",
        lambda v: (
            {str(k): str(x) for k, x in v.items()}
            if isinstance(v, dict) and all(isinstance(x, str) for x in v.values())
            else None
        ),
        'a table of NAME = "value" strings',
        {},
    )
    requires = top.conditions("requires")
    runs = [
        _run(_Reader(path, table, prefix, RUN_KEYS | COMPARISON_KEYS))
        for prefix, table in top.tables("runs")
    ]
    run_names = {run.name for run in runs}
    tools = {
        name: _tool(_Reader(path, table, f"tools.{name}.", TOOL_KEYS), name)
        for name, table in top.named_tables("tools")
    }
    roundtrips = [
        _roundtrip(_Reader(path, table, prefix, ROUNDTRIP_KEYS | COMPARISON_KEYS), run_names, tools)
        for prefix, table in top.tables("roundtrips")
    ]
    expectations = [
        _expectation(_Reader(path, table, prefix, EXPECT_KEYS))
        for prefix, table in top.tables("expect")
    ]
    _unique(path, "runs", [r.name for r in runs])
    _unique(path, "roundtrips", [r.name for r in roundtrips])
    if not runs and not roundtrips:
        raise top.fail("runs", "a case needs at least one [[runs]] or [[roundtrips]] table")
    return Case(
        path=path,
        description=top.text("description", required=True),
        requires=requires,
        app=app,
        mode=Mode(mode) if mode else None,
        ship=top.texts("ship"),
        options=top.texts("options"),
        data=data,
        env=env,
        timeout=top.number("timeout", None, above=True),
        baseline_rtol=top.number("baseline_rtol", 1e-5),
        baseline_atol=top.number("baseline_atol", 1e-6),
        runs=tuple(runs),
        roundtrips=tuple(roundtrips),
        expectations=tuple(expectations),
        comparison=_comparison(top),
    )


def _run(r: _Reader) -> RunSpec:
    return RunSpec(
        name=r.file_name("name"),
        args=r.texts("args"),
        stdin=r.text("stdin"),
        files=r.texts("files"),
        baseline=r.texts("baseline"),
        comparison=_comparison(
            r,
            rtol=r.tolerance("rtol"),
            atol=r.tolerance("atol"),
            argmax=r.texts("argmax"),
            stdout=r.flag("stdout", True),
        ),
    )


def _tool(r: _Reader, name: str) -> Tool:
    try:
        loader_name(name)
    except ValueError as error:
        raise ManifestError(r.path, r.prefix.rstrip("."), str(error)) from None
    command = r.texts("command")
    if not command:
        raise r.fail("command", "required (the program and its arguments before the load's)")
    case = str(r.path.parent)
    return Tool(
        name,
        tuple(part.replace("{case}", case) for part in command),
        tuple(need.replace("{case}", case) for need in r.texts("needs")),
        r.text("install", ""),
    )


def _roundtrip(r: _Reader, run_names: set[str], tools: dict[str, Tool]) -> RoundTripSpec:
    against = r.text("against", Reference.SAVE)
    named = against.removeprefix("run:")
    if against not in set(Reference) and (not against.startswith("run:") or named not in run_names):
        raise r.fail(
            "against",
            f'{against!r}: give "save" (the saving run\'s outputs), "loads" (the '
            'loads against each other) or "run:NAME" with NAME one of the [[runs]]: '
            + (", ".join(sorted(run_names)) or "none here"),
        )
    return RoundTripSpec(
        name=r.file_name("name"),
        plan=Plan(
            r.texts("save"),
            r.texts("load"),
            r.checked("artifact", artifact_name),
            _loader(r, tools),
            tuple(r.path.parent / f for f in r.texts("files")),
        ),
        outputs=r.get(
            "outputs",
            lambda v: (
                tuple(v)
                if isinstance(v, list) and v and all(isinstance(x, str) for x in v)
                else None
            ),
            "a non-empty list of output names",
        ),
        against=Reference.SAVE if against.startswith("run:") else Reference(against),
        against_run=named if against.startswith("run:") else None,
        comparison=_comparison(r, rtol=r.tolerance("rtol"), atol=r.tolerance("atol")),
    )


def _loader(r: _Reader, tools: dict[str, Tool]) -> Tool | None:
    """A [tools.NAME] of the case, or a program found on PATH (``saved_model_cli``)."""
    if r.text("tool") is None:
        return None
    name = r.checked("tool", loader_name)
    return tools.get(name) or Tool(name)


def _expectation(r: _Reader) -> Expectation:
    outcome = r.text("outcome", Outcome.XFAIL)
    if outcome not in set(Outcome):
        raise r.fail("outcome", f"{outcome!r} is not one of {', '.join(Outcome)}")
    when = r.conditions("when")
    checks = r.texts("checks")
    if not checks:
        raise r.fail("checks", "required (a list of check names or fnmatch patterns)")
    diagnosis = r.text("diagnosis")
    known = [issue.id for issue in known_issues()]
    if diagnosis is not None and diagnosis not in known:
        raise r.fail("diagnosis", f"{diagnosis!r} is not in the known issues: {', '.join(known)}")
    if diagnosis is not None and outcome != Outcome.XFAIL:
        raise r.fail("diagnosis", "only an xfail expectation can name a diagnosis")
    modes = r.texts("modes")
    for mode in modes:
        if mode not in MODES:
            raise r.fail("modes", f"{mode!r} is not one of {', '.join(MODES)}")
    return Expectation(
        checks,
        when,
        Outcome(outcome),
        r.text("issue", required=True),
        diagnosis,
        tuple(Mode(m) for m in modes) or tuple(Mode),
    )
