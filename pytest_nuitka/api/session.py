"""What the ``nuitka`` fixture hands a test: compile a script (cached), get an ``App``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from pytest_nuitka.api.app import App
from pytest_nuitka.api.remedy import Remedy
from pytest_nuitka.base.errors import NuitkaPluginError
from pytest_nuitka.base.settings import MODES, Mode, Settings, seconds
from pytest_nuitka.check.comparison import Comparison
from pytest_nuitka.compile.builder import Builder
from pytest_nuitka.run.scheduler import Scheduler


class Nuitka:
    def __init__(
        self,
        settings: Settings,
        builder: Builder,
        search: Sequence[Path],
        workdir: Callable[[str], Path],
        scheduler: Scheduler | None = None,
    ) -> None:
        self.settings = settings
        self.scheduler = scheduler
        self._builder = builder
        self._search = search  # relative paths: the test's folder first, then the rootdir
        self._workdir = workdir
        self._apps = 0
        self.remedy: Remedy | None = None  # applied to its script's builds (--nuitka-try-remedy)
        self.last: App | None = None  # the app built last: the one a failure's remedy is for

    @property
    def enabled(self) -> bool:
        """Whether binaries are built in this run (--nuitka-compile)."""
        return self.settings.compile

    def path(self, name: str | Path) -> Path:
        if Path(name).is_absolute():
            candidates = [Path(name)]
        else:
            candidates = [folder / name for folder in self._search]
        for candidate in candidates:
            if candidate.exists():
                return candidate.resolve()
        raise NuitkaPluginError(
            f"{name} not found; looked in: "
            + ", ".join(str(c) for c in candidates)
            + ". Give a path relative to the test file or to the rootdir, or an absolute one."
        )

    def compile(
        self,
        script: str | Path,
        *,
        data: Sequence[str | Path] = (),
        options: Sequence[str] = (),
        mode: str | None = None,
        ship: Sequence[str] = (),
        env: Mapping[str, str | None] | None = None,
        timeout: float | None = None,
    ) -> App:
        """Build ``script`` (cached) and return the app. ``data``: files and folders the app
        reads, keyed on and shipped with non-accelerated builds. ``options``: extra Nuitka
        arguments. ``ship``: packages (import or distribution names) that standalone and onefile
        builds carry uncompiled, with what they require (--nuitka-full-standalone compiles
        them instead). ``env``: set (None: unset) for the build and every run, as Nuitka
        freezes some variables at compile time. ``timeout``: default time limit of each run."""
        chosen = mode or self.settings.mode
        if chosen not in MODES:
            raise NuitkaPluginError(f"unknown mode {chosen!r}; choose one of {', '.join(MODES)}")
        mode = Mode(chosen)
        source = self.path(script)
        if not source.is_file() or source.suffix != ".py":
            raise NuitkaPluginError(f"{source} is not a Python script (a .py file)")
        env = dict(env or {})
        paths = [self.path(d) for d in data]
        if self.remedy is not None and self.remedy.script == source:
            paths, options = self.remedy.apply(paths, options)
        binary, built_with, shipped = None, (), ()
        if self.enabled:
            entry = self._builder.build(
                source, mode=mode, options=options, data=paths, ship=ship, env=env
            )
            binary = entry.executable
            built_with = tuple(entry.meta["inputs"]["options"])
            shipped = tuple(entry.meta["inputs"].get("ship", ()))
        self._apps += 1
        prefix = f"app{self._apps}"
        self.last = App(
            source,
            binary,
            mode=mode,
            options=built_with,
            env=env,
            timeout=seconds("timeout", timeout, self.settings.run_timeout),
            workdir=lambda name: self._workdir(f"{prefix}-{name}"),
            resolve=self.path,
            comparison=Comparison.from_settings(self.settings),
            scheduler=self.scheduler,
            ship=shipped,
        )
        return self.last
