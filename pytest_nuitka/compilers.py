"""Turn a script into a binary. Nuitka by default; tests swap in a stand-in through the
``pytest_nuitka_compiler`` hook."""

from __future__ import annotations

import shlex
import shutil
import sys
import sysconfig
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from . import process, shipping
from .environment import c_compiler, require_nuitka
from .errors import BuildError


@dataclass(frozen=True)
class BuildRequest:
    script: Path
    mode: str
    options: tuple[str, ...]
    data: tuple[Path, ...]
    ship: tuple[str, ...]  # packages shipped uncompiled in a standalone dist
    env: Mapping[str, str] = field(repr=False)
    timeout: float

    @property
    def name(self) -> str:
        return self.script.stem


@dataclass(frozen=True)
class Built:
    """What a compiler leaves in its product directory."""

    executable: str  # path relative to the product directory
    sources: tuple[Path, ...]  # every local source file compiled in: they key the cache entry


class CompileFailed(Exception):
    """The compiler ran and failed; the message is the tail of its log."""


class Compiler(Protocol):
    def identity(self, env: Mapping[str, str]) -> str:
        """Name and version of the compiler and of what it calls: part of every cache key.
        Raise BuildError when it cannot work here (not installed, no C compiler)."""

    def build(self, request: BuildRequest, workdir: Path, product: Path, log: Path) -> Built:
        """Build into ``product`` (empty, to be published), scratch in ``workdir``, log to
        ``log``. Raise CompileFailed when the build fails."""


def local_modules(script: Path) -> list[str]:
    """Top-level modules and packages beside the script: what ``import x`` finds first."""
    names = []
    for entry in sorted(script.parent.iterdir()):
        if entry.suffix == ".py" and entry != script and entry.stem.isidentifier():
            names.append(entry.stem)
        elif entry.is_dir() and entry.name.isidentifier() and (entry / "__init__.py").is_file():
            names.append(entry.name)
    return names


def tail(path: Path, lines: int = 40) -> str:
    text = path.read_text(encoding="utf-8", errors="backslashreplace")
    return "\n".join(text.splitlines()[-lines:])


class NuitkaCompiler:
    """Runs ``python -m nuitka`` as a program, in the interpreter under test."""

    def identity(self, env: Mapping[str, str]) -> str:
        version = require_nuitka()
        return f"nuitka {version}; cc " + " ".join(c_compiler(env))

    def command(self, request: BuildRequest, workdir: Path) -> list[str]:
        cmd = [
            sys.executable,
            "-m",
            "nuitka",
            f"--mode={request.mode}",
            f"--output-dir={workdir}",
            f"--output-filename={request.name}.bin",
            f"--report={workdir / 'report.xml'}",
        ]
        cmd += [f"--follow-import-to={name}" for name in local_modules(request.script)]
        if request.mode != "accelerated":  # accelerated binaries read data beside the source
            for path in request.data:
                target = (
                    path.relative_to(request.script.parent)
                    if path.is_relative_to(request.script.parent)
                    else Path(path.name)
                )
                kind = "dir" if path.is_dir() else "files"
                cmd.append(f"--include-data-{kind}={path}={target}")
        if request.ship and request.mode != "accelerated":
            cmd += shipping.plan(list(request.ship)).nuitka_options()
        return [*cmd, *request.options, str(request.script)]

    def build(self, request: BuildRequest, workdir: Path, product: Path, log: Path) -> Built:
        command = self.command(request, workdir)
        with log.open("wb") as sink:
            sink.write(("$ " + shlex.join(command) + "\n").encode())
            sink.flush()
            done = process.run(
                command,
                cwd=workdir,
                env=request.env,
                stdin=None,
                timeout=request.timeout,
                stdout_file=sink,
            )
        if done.timed_out:
            raise CompileFailed(
                f"Nuitka did not finish within {request.timeout:.0f}s and was "
                f"killed (raise --nuitka-build-timeout)\n{tail(log)}"
            )
        if done.returncode != 0:
            raise CompileFailed(f"Nuitka exited with status {done.returncode}\n{tail(log)}")
        return Built(
            self._publish(request, workdir, product),
            self._sources(workdir, request.env.get("HOME")),
        )

    @staticmethod
    def _publish(request: BuildRequest, workdir: Path, product: Path) -> str:
        binary = f"{request.name}.bin"
        if request.mode == "standalone":
            shutil.move(workdir / f"{request.name}.dist", product / f"{request.name}.dist")
            return f"{request.name}.dist/{binary}"
        shutil.move(workdir / binary, product / binary)
        return binary

    @staticmethod
    def _sources(workdir: Path, home: str | None) -> tuple[Path, ...]:
        """Local sources from Nuitka's compilation report; installed packages are keyed by
        their versions instead."""
        places = {
            "${cwd}": str(workdir),
            "${sys.prefix}": sys.prefix,
            "${sys.real_prefix}": sys.base_prefix,
            "${sys.base_prefix}": sys.base_prefix,
        }
        installed = [Path(sysconfig.get_paths()[k]) for k in ("stdlib", "purelib", "platlib")]
        sources = []
        for module in ET.parse(workdir / "report.xml").getroot().iter("module"):
            path, name = module.get("source_path"), module.get("name", "")
            if not path or not module.get("kind", "").startswith(("Compiled", "PythonMain")):
                continue
            if not all(part.isidentifier() for part in name.split(".")):
                continue  # code Nuitka generates, such as __parents_main__-preLoad
            for placeholder, value in places.items():
                path = path.replace(placeholder, value)
            if home and (path == "~" or path.startswith("~/")):
                path = home + path[1:]
            resolved = Path(workdir, path).resolve()
            if any(resolved.is_relative_to(place) for place in installed) or resolved.is_dir():
                continue  # keyed by its version; or a namespace package, which has no source
            if not resolved.is_file():
                raise BuildError(
                    f"Nuitka's report names a compiled source that is not there: "
                    f"{module.get('source_path')} (module {module.get('name')}); "
                    "the build cannot be keyed on it"
                )
            sources.append(resolved)
        return tuple(sorted(set(sources)))


def default_compiler() -> Compiler:
    return NuitkaCompiler()
