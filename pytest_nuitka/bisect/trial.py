"""Trying one release for real: a virtual environment for it, layered on a base environment,
and the selection run there with ``--nuitka-compile`` against the shared build cache.

Each environment sees the one below it through a ``.pth`` file: a release's environment sees
the base, which holds the pins and sees the running environment (where this plugin and pytest
are). So only what differs is installed, pip installs nothing a lower layer already
satisfies, and each layer's own packages shadow those below. ``isolated`` makes the base a
whole environment of its own (the pins and the plugin), for a cell that must not see
anything of the running one. Environments are kept and reused: a second bisect over the same
releases installs nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_nuitka.bisect.search import BisectError, Check, Step, Verdict

READY = ".pytest-nuitka-ready"  # written last: an environment without it is made again
BUILD_FAILURES = (
    "Nuitka exited with status",
    "Nuitka did not finish within",
    "pytest-nuitka needs nuitka",
)


@dataclass(frozen=True)
class Setup:
    package: str
    pins: tuple[str, ...]  # requirements every release is installed with (--with)
    env: Mapping[str, str]  # variables every run gets (--env)
    selection: tuple[str, ...]  # pytest arguments: paths, node ids, -k ...
    work: Path  # environments, logs and results of each step
    build_failure_is_bad: bool = False
    timeout: float = 3600.0
    isolated: bool = False  # a base of its own, not layered on the running environment
    allow_cuda: bool = False  # install releases that pull NVIDIA's CUDA wheels (gigabytes)
    match: str | None = None  # only failures whose message matches this are bad


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def site_dirs(python: Path | str) -> list[str]:
    code = (
        "import json, sysconfig; print(json.dumps(sorted("
        "{sysconfig.get_path('purelib'), sysconfig.get_path('platlib')})))"
    )
    done = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return list(json.loads(done.stdout))


def plugin_source() -> Path | None:
    """This plugin's source tree, when it runs from one (installed into a base from there)."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() else None


class RealTrial:
    def __init__(self, setup: Setup, say: Callable[[str], None] = print) -> None:
        self.setup = setup
        self.say = say
        self.logs = setup.work / "steps"
        self._base: list[str] | None = None

    def __call__(self, version: str) -> Step:
        started = time.monotonic()
        try:
            base = self.base()
        except InstallFailed as failure:  # every release would skip: no bisect can answer
            raise BisectError(f"the pins (--with) cannot be installed: {failure}") from None
        try:
            venv = self.environment(version, base)
        except InstallFailed as failure:
            return Step(version, Verdict.SKIP, f"cannot install: {failure}", _since(started))
        return self.run(version, venv, started)

    # Environments

    def base(self) -> list[str]:
        """The site folders every release's environment is layered on."""
        if self._base is None:
            running = site_dirs(sys.executable)
            if not self.setup.pins and not self.setup.isolated:
                self._base = running
            else:
                what = [
                    *sorted(self.setup.pins),
                    *(["isolated"] if self.setup.isolated else running),
                ]
                key = hashlib.sha256("\n".join(what).encode()).hexdigest()[:12]
                venv = self.setup.work / f"base-{key}"
                if not (venv / READY).exists():
                    self.say(f"bisect: making the base environment: {' '.join(self.setup.pins)}")
                    requirements = list(self.setup.pins)
                    if self.setup.isolated:
                        source = plugin_source()
                        requirements += ["-e", str(source)] if source else ["pytest-nuitka"]
                    self._make(venv, requirements, None if self.setup.isolated else running)
                self._base = site_dirs(python_of(venv))
        return self._base

    def environment(self, version: str, base: list[str]) -> Path:
        key = hashlib.sha256("\n".join(base).encode()).hexdigest()[:8]
        venv = self.setup.work / f"{self.setup.package}-{version}-{key}"
        if not (venv / READY).exists():
            requirement = f"{self.setup.package}=={version}"
            self._make(venv, [requirement], layered_on=base)
        return venv

    def _make(self, venv: Path, requirements: list[str], layered_on: list[str] | None) -> None:
        shutil.rmtree(venv, ignore_errors=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"install-{venv.name}.log"
        interpreter = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([interpreter, "-m", "venv", str(venv)], check=True, timeout=300)
        command = [str(python_of(venv)), "-m", "pip", "install", *requirements]
        if layered_on is not None:
            (Path(site_dirs(python_of(venv))[0]) / "_pytest_nuitka_base.pth").write_text(
                "".join(f"import site; site.addsitedir({path!r})\n" for path in layered_on)
            )
            constraints = venv / "constraints.txt"
            constraints.write_text("".join(pin + "\n" for pin in self.setup.pins))
            command += ["-c", str(constraints)]
        if not self.setup.allow_cuda:
            refuse_cuda(command, venv)
        with log.open("w") as sink:
            done = subprocess.run(
                command,
                stdout=sink,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
                check=False,
                timeout=3600,
            )
        if done.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            lines = log.read_text(errors="replace").strip().splitlines()
            errors = [line for line in lines if line.startswith("ERROR")] or lines[-1:]
            said = errors[0].rstrip(".") if errors else "?"
            raise InstallFailed(f"{' '.join(requirements)}: {said}")
        (venv / READY).write_text("")

    # The selection

    def run(self, version: str, venv: Path, started: float) -> Step:
        results = self.setup.work / "steps" / f"{self.setup.package}-{version}.json"
        log = results.with_suffix(".log")
        results.unlink(missing_ok=True)
        command = [
            str(python_of(venv)),
            "-m",
            "pytest",
            "--nuitka-compile",
            "--runxfail",  # the raw verdict: expectations are what a bisect questions
            "-p",
            "no:cacheprovider",
            "--nuitka-results",
            str(results),
            *self.setup.selection,
        ]
        with log.open("w") as sink:
            try:
                done = subprocess.run(
                    command,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, **self.setup.env},
                    check=False,
                    timeout=self.setup.timeout,
                )
            except subprocess.TimeoutExpired:
                return Step(
                    version,
                    Verdict.SKIP,
                    f"the selection ran past {self.setup.timeout:.0f}s (see {log})",
                    _since(started),
                )
        checks = read_checks(results)
        verdict, reason = classify(
            done.returncode, checks, self.setup.build_failure_is_bad, self.setup.match
        )
        if verdict is None:
            tail = "\n".join(log.read_text(errors="replace").strip().splitlines()[-15:])
            raise BisectError(f"pytest could not run the selection ({reason}):\n{tail}")
        return Step(version, verdict, reason, _since(started), checks)


class InstallFailed(Exception):
    pass


def refuse_cuda(install: list[str], venv: Path) -> None:
    """Most torch releases on PyPI pull NVIDIA's CUDA wheels, gigabytes each: ask pip what it
    would install (``--dry-run --report``) and skip such a release instead of downloading."""
    done = subprocess.run(
        [*install, "--dry-run", "--quiet", "--report", "-"],
        capture_output=True,
        text=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        check=False,
        timeout=1800,
    )
    if done.returncode != 0:
        return  # the real install says why
    names = [item["metadata"]["name"] for item in json.loads(done.stdout).get("install", [])]
    cuda = sorted(name for name in names if name.lower().startswith("nvidia-"))
    if cuda:
        shutil.rmtree(venv, ignore_errors=True)
        raise InstallFailed(
            f"it would download CUDA builds ({', '.join(cuda[:3])}, ...); "
            "point pip at a CPU-only index (PIP_INDEX_URL) or pass --allow-cuda"
        )


def read_checks(results: Path) -> dict[str, Check]:
    if not results.exists():
        return {}
    rows = json.loads(results.read_text())["results"]
    return {
        row["nodeid"]: Check(
            row["outcome"], row.get("message", ""), tuple(row.get("known_issues") or ())
        )
        for row in rows
    }


def classify(
    returncode: int,
    checks: Mapping[str, Check],
    build_failure_is_bad: bool,
    match: str | None = None,
) -> tuple[Verdict | None, str]:
    """pytest's exit status and items -> a verdict and its reason; None: pytest itself could
    not run (usage error, internal error, interrupted), which no verdict should hide. With
    ``match``, only a failure whose message matches that regular expression is bad."""
    if returncode == 5:
        return Verdict.SKIP, "the selection collected nothing here"
    if returncode not in (0, 1):
        return None, f"pytest exited with status {returncode}"
    if returncode == 0:
        if all(c.outcome == "skipped" for c in checks.values()):
            return Verdict.SKIP, "every selected test was skipped here"
        return Verdict.GOOD, ""
    failed = {nodeid: c for nodeid, c in checks.items() if c.outcome == "failed"}
    if not failed:
        return None, "pytest reported a failure but no failed test"
    by_checks = {n: c for n, c in failed.items() if not any(m in c.message for m in BUILD_FAILURES)}
    if not by_checks and not build_failure_is_bad:  # before --match: a build is no answer
        first = next(iter(failed.values())).message.strip().splitlines()
        return Verdict.SKIP, "cannot build: " + (first[0] if first else "?")
    counted = failed if build_failure_is_bad else by_checks
    if match is not None:
        counted = {n: c for n, c in counted.items() if re.search(match, c.message)}
        if not counted:
            return Verdict.GOOD, f"{len(failed)} failed, none matching {match!r}"
    names = ", ".join(sorted(counted)[:3]) + (" ..." if len(counted) > 3 else "")
    return Verdict.BAD, f"{len(counted)} failed: {names}"


def _since(started: float) -> float:
    return round(time.monotonic() - started, 1)


def collects_something(selection: Sequence[str]) -> None:
    """Refuse a selection that collects nothing here, before any environment is made."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "--nuitka-compile", *selection],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-8:])
        raise BisectError(
            f"the selection {' '.join(selection) or '(all tests)'} collects nothing here "
            f"(pytest --collect-only exited with status {done.returncode}):\n{tail}"
        )
