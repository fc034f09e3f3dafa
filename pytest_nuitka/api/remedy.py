"""Known issues whose remedy is a change to the build, derived from the failure's evidence so
that it can be applied and tried (``--nuitka-try-remedy``): a missing data file is declared,
an excluded module is let in, a system library the dist needs is included beside the file
that needs it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pytest_nuitka.api.app import App
from pytest_nuitka.base import libraries
from pytest_nuitka.base.settings import Mode
from pytest_nuitka.check.diagnose import Diagnosis

MISSING_FILE = re.compile(r"No such file or directory: '([^']+)'")
INSIDE_DIST = re.compile(r"\.dist/|/onefile_[^/]+/")
EXCLUDED = re.compile(r"Module '([\w.]+)' was actively excluded")
NOFOLLOW = "--nofollow-import-to="


@dataclass(frozen=True)
class Remedy:
    """A change to one app's build, said the way its user would write it."""

    script: Path
    said: str
    data: tuple[Path, ...] = ()
    options: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()  # options taken out

    def apply(self, data: Sequence[Path], options: Sequence[str]) -> tuple[list[Path], list[str]]:
        kept = [o for o in options if o not in self.dropped]
        return [*data, *self.data], [*kept, *self.options]


def combined(found: Sequence[Remedy]) -> Remedy:
    first = found[0]
    return Remedy(
        first.script,
        "; ".join(r.said for r in found),
        tuple(p for r in found for p in r.data),
        tuple(o for r in found for o in r.options),
        tuple(o for r in found for o in r.dropped),
    )


def data_file(diagnosis: Diagnosis, app: App) -> Remedy | None:
    """The file the binary looked for inside its dist, declared when it lies beside the
    source as it does inside the dist."""
    for path in MISSING_FILE.findall(diagnosis.evidence):
        parts = INSIDE_DIST.split(path, maxsplit=1)
        if len(parts) != 2:
            continue
        relative = PurePosixPath(parts[1])
        source = app.script.parent / relative
        if source.exists():
            return Remedy(app.script, f"add data=['{relative}']", data=(source,))
    return None


def excluded_module(diagnosis: Diagnosis, app: App) -> Remedy | None:
    """Drop the --nofollow-import-to that excluded the module; without one (Nuitka's own
    configuration excluded it), include the module."""
    found = EXCLUDED.search(diagnosis.evidence)
    if not found:
        return None
    module = found.group(1)
    excluding = [
        o
        for o in app.options
        if o.startswith(NOFOLLOW)
        and (module == o[len(NOFOLLOW) :] or module.startswith(o[len(NOFOLLOW) :] + "."))
    ]
    if excluding:
        return Remedy(app.script, "drop " + " ".join(excluding), dropped=tuple(excluding))
    option = f"--include-module={module}"
    return Remedy(app.script, f"add {option}", options=(option,))


def system_library(diagnosis: Diagnosis, app: App) -> Remedy | None:
    """Each library the dist needs from outside the policy, included beside the first file
    that needs it (found there through its rpath $ORIGIN)."""
    if app.mode != Mode.STANDALONE or app.binary is None:
        return None
    options = []
    for item in libraries.foreign(app.binary.parent):
        if item.found_at is None:
            continue
        beside = PurePosixPath(item.needed_by[0]).parent / item.soname
        options.append(f"--include-data-files={item.found_at}={beside}")
    if not options:
        return None
    return Remedy(app.script, "include " + " ".join(options), options=tuple(options))


MECHANICAL: dict[str, Callable[[Diagnosis, App], Remedy | None]] = {
    "data-file-missing": data_file,
    "excluded-module": excluded_module,
    "system-library-missing": system_library,
}


def remedy_for(diagnoses: Sequence[Diagnosis], app: App) -> Remedy | None:
    """One remedy applying every mechanical one the failure's diagnoses call for; None when
    none is mechanical or the evidence does not say what to change."""
    found = [
        remedy
        for diagnosis in diagnoses
        if diagnosis.issue.id in MECHANICAL
        and (remedy := MECHANICAL[diagnosis.issue.id](diagnosis, app)) is not None
    ]
    return combined(found) if found else None
