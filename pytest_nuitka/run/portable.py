"""Run a dist the way a machine without the build's Python would: from a fresh copy, in another
working directory, with a scrubbed environment, and inside a clean room where the build
machine's Python prefix, site-packages and the app's source folder are hidden.

The clean room is a user and mount namespace (``unshare``) with an empty tmpfs mounted over
each hidden folder, so a dist that reaches for a host file fails with the path it reached for.
"""

from __future__ import annotations

import functools
import os
import shutil
import site
import subprocess
import sys
import sysconfig
from collections.abc import Iterable, Mapping
from pathlib import Path

# Kept from the caller's environment: locale and terminal only. PATH is minimal and HOME is a
# fresh folder; PYTHONPATH, PYTHONHOME, VIRTUAL_ENV and the rest are gone.
KEPT_VARIABLES = ("LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TERM", "TZ")
MINIMAL_PATH = "/usr/bin:/bin"
UNSHARE = ("unshare", "--user", "--map-root-user", "--mount")
SYSTEM_ROOTS = {Path("/"), Path("/usr"), Path("/usr/local")}

# Hide each folder, make the dist read-only, then become the app. "$1" is the hidden count.
ROOM_SCRIPT = """fail() { echo "pytest-nuitka clean room: cannot $1" >&2; exit 125; }
n=$1; shift
while [ "$n" -gt 0 ]; do
  mount -t tmpfs -o size=16k,mode=755 none "$1" || fail "hide $1"; shift; n=$((n-1))
done
mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || fail "make $1 read-only"; shift
exec "$@"
"""


class Unavailable(Exception):
    """The clean room cannot be set up here; the message says why."""


def host_python_paths() -> list[Path]:
    """Where the build machine's Python lives: prefixes (unless a system root such as /usr,
    whose Python parts are listed instead), the standard library and every site-packages."""
    paths = {Path(p) for p in (sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix)}
    paths -= SYSTEM_ROOTS
    paths |= {
        Path(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib", "purelib", "platlib")
    }
    paths |= {Path(p) for p in site.getsitepackages()}
    if site.ENABLE_USER_SITE and site.USER_SITE:
        paths.add(Path(site.USER_SITE))
    return sorted(paths)


def outermost(paths: Iterable[Path]) -> list[Path]:
    existing = sorted({p.resolve() for p in paths if p.exists()})
    return [p for p in existing if not any(p != q and p.is_relative_to(q) for q in existing)]


@functools.cache
def probe() -> str | None:
    """None when this kernel lets us make the clean room, else what it said."""
    if shutil.which("unshare") is None:
        return "the unshare program (util-linux) is not installed"
    try:
        done = subprocess.run(
            [
                "unshare",
                "--user",
                "--map-root-user",
                "--mount",
                "sh",
                "-c",
                "mount -t tmpfs none /mnt",
            ],
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unshare could not run: {error}"
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip() or f"exit status {done.returncode}"
        return f"the kernel refused an unprivileged user and mount namespace: {said}"
    return None


def clean_room(dist: Path, hidden: Iterable[Path], needed: Iterable[Path]) -> list[str]:
    """The command prefix that runs a program with ``hidden`` folders emptied and ``dist``
    read-only. ``needed``: folders the run uses, which must stay visible."""
    reason = probe()
    if reason:
        raise Unavailable(reason)
    hide = outermost(hidden)
    for folder in hide:
        for path in needed:
            if path.resolve().is_relative_to(folder):
                raise Unavailable(
                    f"{folder} must be hidden but holds {path}, which the run needs; "
                    "put pytest's --basetemp outside it"
                )
    return [
        *UNSHARE,
        "sh",
        "-c",
        ROOM_SCRIPT,
        "clean-room",
        str(len(hide)),
        *map(str, hide),
        str(dist),
    ]


def fresh_copy(source: Path, into: Path) -> Path:
    """A copy of a dist folder or a onefile binary under ``into``, same name, hard-linked
    where the file system allows (dists are large; the clean room mounts the copy read-only,
    so the cached entry cannot change)."""
    target = into / source.name
    into.mkdir(parents=True)
    if source.is_dir():
        try:
            shutil.copytree(source, target, symlinks=True, copy_function=os.link)
        except OSError:
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target, symlinks=True)
    else:
        shutil.copy2(source, target)
    return target


def scrubbed_environment(base: Mapping[str, str], home: Path) -> dict[str, str]:
    env = {name: base[name] for name in KEPT_VARIABLES if name in base}
    return {**env, "PATH": MINIMAL_PATH, "HOME": str(home), "TMPDIR": str(home)}
