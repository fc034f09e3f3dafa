"""Turn a script into a binary. Nuitka by default; tests swap in a stand-in through the
``pytest_nuitka_compiler`` hook."""

from __future__ import annotations

import ast
import os
import shlex
import shutil
import sys
import sysconfig
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from packaging.version import Version

from pytest_nuitka.base import process
from pytest_nuitka.base.environment import c_compiler, require_nuitka
from pytest_nuitka.base.errors import BuildError
from pytest_nuitka.base.settings import Mode
from pytest_nuitka.cache.footprint import Footprint
from pytest_nuitka.cache.product import Built, CompileFailed
from pytest_nuitka.compile import shipping


@dataclass(frozen=True)
class BuildRequest:
    script: Path
    mode: Mode
    options: tuple[str, ...]
    data: tuple[Path, ...]
    ship: tuple[str, ...]  # packages shipped uncompiled in a standalone dist
    env: Mapping[str, str] = field(repr=False)
    timeout: float

    @property
    def name(self) -> str:
        return self.script.stem


class Compiler(Protocol):
    def identity(self, env: Mapping[str, str]) -> str:
        """Name and version of the compiler and of what it calls: part of every cache key.
        Raise BuildError when it cannot work here (not installed, no C compiler)."""

    def build(self, request: BuildRequest, workdir: Path, product: Path, log: Path) -> Built:
        """Build into ``product`` (empty, to be published), scratch in ``workdir``, log to
        ``log``. Raise CompileFailed when the build fails."""


def local_modules(script: Path) -> dict[str, list[Path]]:
    """Top-level modules and packages beside the script (what ``import x`` finds first), each
    with its source files."""
    found: dict[str, list[Path]] = {}
    for entry in sorted(script.parent.iterdir()):
        if entry.suffix == ".py" and entry != script and entry.stem.isidentifier():
            found.setdefault(entry.stem, [entry])
        elif entry.is_dir() and entry.name.isidentifier():
            files = sorted(entry.rglob("*.py"))
            if files:  # a package, or a namespace package
                found[entry.name] = files  # a package shadows a module of the same name
    return found


def imported_names(source: Path) -> set[str]:
    """Top-level names a file imports: import statements, absolute ``from`` imports and
    ``importlib.import_module`` / ``__import__`` calls with a constant name."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source.read_bytes(), str(source))
    except (SyntaxError, ValueError, OSError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Call) and node.args:
            function, first = node.func, node.args[0]
            called = getattr(function, "attr", None) or getattr(function, "id", None)
            constant = first.value if isinstance(first, ast.Constant) else None
            dynamic = called in {"import_module", "__import__"} and isinstance(constant, str)
            if dynamic and isinstance(constant, str) and not constant.startswith("."):
                names.add(constant)
    return {name.split(".")[0] for name in names}


def followed_modules(script: Path) -> list[str]:
    """The local modules and packages the app imports, directly or through each other: what
    the binary compiles in (each passed to --follow-import-to). A sibling nobody imports is
    not named, so a folder of many scripts builds each with only what it uses."""
    local = local_modules(script)
    followed: set[str] = set()
    todo = [script]
    while todo:
        for name in imported_names(todo.pop()) & local.keys() - followed:
            followed.add(name)
            todo += local[name]
    return sorted(followed)


# The first release with the excluded-module-usage deployment flag, without which a dist's
# importer refuses the packages shipped beside it (measured: 2.3, 2.4 and 2.8.10 do).
OLDEST_SHIPPING = "4.0"


def mode_options(mode: Mode, nuitka: Version) -> list[str]:
    """``--mode`` came with Nuitka 2.5; older releases spell each mode as a flag of its own
    and reject ``--mode`` (``no such option``)."""
    if nuitka >= Version("2.5"):
        return [f"--mode={mode}"]
    return [] if mode == Mode.ACCELERATED else [f"--{mode}"]


def tail(path: Path, lines: int = 40) -> str:
    text = path.read_text(encoding="utf-8", errors="backslashreplace")
    return "\n".join(text.splitlines()[-lines:])


class NuitkaCompiler:
    """Runs ``python -m nuitka`` as a program, in the interpreter under test."""

    def identity(self, env: Mapping[str, str]) -> str:
        version = require_nuitka()
        return f"nuitka {version}; cc " + " ".join(c_compiler(env))

    def command(self, request: BuildRequest, workdir: Path) -> list[str]:
        nuitka = Version(require_nuitka())
        cmd = [
            sys.executable,
            "-m",
            "nuitka",
            *mode_options(request.mode, nuitka),
            f"--output-dir={workdir}",
            f"--output-filename={request.name}.bin",
            f"--report={workdir / 'report.xml'}",
        ]
        cmd += [f"--follow-import-to={name}" for name in followed_modules(request.script)]
        if request.mode != Mode.ACCELERATED:  # accelerated binaries read data beside the source
            for path in request.data:
                target = (
                    path.relative_to(request.script.parent)
                    if path.is_relative_to(request.script.parent)
                    else Path(path.name)
                )
                kind = "dir" if path.is_dir() else "files"
                cmd.append(f"--include-data-{kind}={path}={target}")
        if request.ship and request.mode != Mode.ACCELERATED:
            if nuitka < Version(OLDEST_SHIPPING):
                raise BuildError(
                    f"partial standalone (ship={list(request.ship)}) in pytest-nuitka needs "
                    f"nuitka>={OLDEST_SHIPPING}; Nuitka {nuitka} is installed. Its dists refuse "
                    f"every module left out with --nofollow-import-to (No module named ...), "
                    f"so a shipped package cannot be imported. Upgrade Nuitka, or compile "
                    f"everything (--nuitka-full-standalone)"
                )
            cmd += shipping.plan(list(request.ship)).nuitka_options()
        return [*cmd, *request.options, str(request.script)]

    @staticmethod
    def shipped_files(request: BuildRequest) -> tuple[Path, ...]:
        """Every file of the folders a partial standalone build copies as installed."""
        if not request.ship or request.mode == Mode.ACCELERATED:
            return ()
        files = []
        for folder in shipping.plan(list(request.ship)).folders:
            for parent, _, names in os.walk(folder):
                files += [Path(parent, name) for name in names]
        return tuple(files)

    def build(self, request: BuildRequest, workdir: Path, product: Path, log: Path) -> Built:
        command = self.command(request, workdir)
        with log.open("wb") as sink:
            sink.write(os.fsencode(f"$ {shlex.join(command)}\n"))  # any bytes a path holds
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
        try:
            executable = self._publish(request, workdir, product)
        except FileNotFoundError as error:
            raise CompileFailed(
                f"Nuitka exited with status 0 but did not write what it was asked for "
                f"({error.filename})\n{tail(log)}"
            ) from None
        try:
            read = read_report(workdir / "report.xml", workdir, request.env.get("HOME"))
        except (OSError, ET.ParseError, UnicodeError, BuildError) as error:
            # The binary cannot be keyed on what it was built from: not published, but its
            # log and build folder are kept for the user like any failed build's.
            raise CompileFailed(
                f"Nuitka's compilation report {workdir / 'report.xml'} could not be read: "
                f"{error}\n{tail(log)}"
            ) from None
        return Built(
            executable,
            read.sources,
            read.installed + self.shipped_files(request),
            read.modules,
            read.absent,
            read.imported,
        )

    @staticmethod
    def _publish(request: BuildRequest, workdir: Path, product: Path) -> str:
        binary = f"{request.name}.bin"
        if request.mode == Mode.STANDALONE:
            shutil.move(workdir / f"{request.name}.dist", product / f"{request.name}.dist")
            return f"{request.name}.dist/{binary}"
        shutil.move(workdir / binary, product / binary)
        return binary


def read_report(report: Path, workdir: Path, home: str | None) -> Footprint:
    """What Nuitka's compilation report says the build read: every compiled module with its
    file (local sources apart from installed ones), the data files it included, and the
    imports that found nothing."""
    places = {
        "${cwd}": str(workdir),
        "${sys.prefix}": sys.prefix,
        "${sys.real_prefix}": sys.base_prefix,
        "${sys.base_prefix}": sys.base_prefix,
    }
    installed_roots = [
        Path(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib", "purelib", "platlib")
    ]

    def resolve(path: str) -> Path:
        for placeholder, value in places.items():
            path = path.replace(placeholder, value)
        if home and (path == "~" or path.startswith("~/")):
            path = home + path[1:]
        return Path(workdir, path).resolve()

    sources, installed, modules, absent, imported = set(), set(), {}, set(), set()
    # Nuitka declares encoding='utf8', a name expat does not know: any non-ASCII path in the
    # report (a folder named 鸟类识别) would be "not well-formed". The parser's own encoding
    # overrides the declaration.
    root = ET.parse(report, parser=ET.XMLParser(encoding="utf-8")).getroot()
    for module in root.iter("module"):
        for usage in module.iter("module_usage"):
            used = usage.get("name")
            if used and usage.get("finding") == "not-found":
                absent.add(used)
            if used and not used.startswith("."):
                imported.add(used.split(".")[0])
        path, name = module.get("source_path"), module.get("name", "")
        if not path or not all(part.isidentifier() for part in name.split(".")):
            continue  # code Nuitka generates, such as __parents_main__-preLoad
        resolved = resolve(path)
        if not resolved.exists():
            raise BuildError(
                f"Nuitka's report names a compiled source that is not there: "
                f"{module.get('source_path')} (module {name}); the build cannot be keyed on it"
            )
        if module.get("kind", "") != "PythonMainModule":
            modules[name] = os.path.realpath(resolved)
        if resolved.is_dir():
            continue  # a namespace package: its resolution is checked, it has no file
        if any(resolved.is_relative_to(place) for place in installed_roots):
            installed.add(resolved)
        else:
            sources.add(resolved)
    for tag in ("data_file", "included_extension", "included_dll"):
        for element in root.iter(tag):
            source = element.get("source") or element.get("source_path")
            if source:
                installed.add(resolve(source))
    return Footprint(
        tuple(sorted(sources)),
        tuple(sorted(installed)),
        modules,
        tuple(sorted(absent)),
        tuple(sorted(imported)),
    )
