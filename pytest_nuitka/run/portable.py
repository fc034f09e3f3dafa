"""Run a dist the way another machine would: from a fresh copy, in another working directory,
with a scrubbed environment, inside a clean room where the build machine's Python prefix,
site-packages, the app's source folder and the host's other Pythons are hidden, and where the
system library folders hold only what any Linux target has (the manylinux policy), and the
NVIDIA driver's libraries where this machine has them (a target with a GPU has its own).

The clean room is a user and mount namespace (``unshare``) set up by ``room.py``: an empty
tmpfs over each hidden folder, and each system library folder replaced by a view without the
libraries outside the policy, so a dist that reaches for a host file or library fails with
its name.
"""

from __future__ import annotations

import functools
import glob
import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
from collections.abc import Iterable, Mapping
from pathlib import Path

from pytest_nuitka.base import libraries

# Kept from the caller's environment: locale and terminal only. PATH is minimal and HOME is a
# fresh folder; PYTHONPATH, PYTHONHOME, VIRTUAL_ENV and the rest are gone.
KEPT_VARIABLES = ("LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TERM", "TZ")
MINIMAL_PATH = "/usr/bin:/bin"
UNSHARE = ("unshare", "--user", "--map-root-user", "--mount")
SYSTEM_ROOTS = {Path("/"), Path("/usr"), Path("/usr/local")}
ROOM = Path(__file__).with_name("room.py")
# Other Python installations a user's machine need not have.
OTHER_PYTHONS = ("/usr/lib/python3*", "/usr/local/lib/python3*", "/opt/python*", "/opt/conda")


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


def other_pythons() -> list[Path]:
    found = [Path(p) for pattern in OTHER_PYTHONS for p in glob.glob(pattern)]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    return [p for p in [*found, pyenv] if p.is_dir()]


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
            env={"PATH": os.environ.get("PATH", MINIMAL_PATH)},  # see process.run
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unshare could not run: {error}"
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip() or f"exit status {done.returncode}"
        return f"the kernel refused an unprivileged user and mount namespace: {said}"
    return None


def clean_room(
    shipped: Path, place: Path, hidden: Iterable[Path], needed: Iterable[Path], folder: Path
) -> list[str]:
    """The command prefix that runs a program with ``shipped`` (a dist or a onefile binary)
    shown read-only at ``place`` (see ``fresh_place``), ``hidden`` folders emptied and the
    system's libraries cut down to those ``libraries.kept_on_target`` names (the policy's,
    the GPU driver's). ``needed``: folders the run uses, which must stay visible; ``folder``:
    where the room's spec and scratch go."""
    reason = probe()
    if reason:
        raise Unavailable(reason)
    hide = outermost([*hidden, *other_pythons()])
    for hidden_folder in hide:
        for path in [*needed, folder]:
            if path.resolve().is_relative_to(hidden_folder):
                raise Unavailable(
                    f"{hidden_folder} must be hidden but holds {path}, which the run needs; "
                    "put pytest's --basetemp outside it"
                )
    scratch = folder / "room"
    scratch.mkdir(parents=True)
    spec = folder / "room.json"
    spec.write_text(
        json.dumps(
            {
                "hide": [str(p) for p in hide],
                "bind": [str(shipped), str(place)],
                "scratch": str(scratch),
                "filter": [str(p) for p in libraries.search_path()],
                "kept": sorted(str(p) for p in libraries.kept_on_target()),
            },
            indent=1,
        )
    )
    return [*UNSHARE, sys.executable, "-I", "-S", str(ROOM), str(spec)]


def fresh_place(source: Path, into: Path) -> Path:
    """Where the clean room shows a dist folder or a onefile binary: ``into``/its name, an
    empty folder or file that the room binds the cached one over, read-only. Nothing is
    copied (dists are gigabytes) and nothing is linked (a hard link moves every cached file's
    inode change time, which the cache holds its entries to)."""
    target = into / source.name
    into.mkdir(parents=True)
    if source.is_dir():
        target.mkdir()
    else:
        target.touch()
    return target


def scrubbed_environment(base: Mapping[str, str], home: Path) -> dict[str, str]:
    env = {name: base[name] for name in KEPT_VARIABLES if name in base}
    return {**env, "PATH": MINIMAL_PATH, "HOME": str(home), "TMPDIR": str(home)}
