"""The clean room's set-up, run as the first program inside a fresh user and mount namespace:
``python -I -S room.py SPEC.json PROGRAM [ARGS...]``, then it becomes the program.

It is a plain script on the standard library (it imports nothing of the plugin) because it
hides the very Python it runs on: each mount is a system call through ctypes, so that the
set-up keeps working while the folders it came from disappear.

The spec says what to show elsewhere read-only (the cached dist, bound at a fresh place
before anything is hidden, so that the entry is neither copied nor touched), what to hide
(folders emptied), which system library folders to filter (every library in them disappears
but those listed as kept; other files and folders stay), a scratch folder, and the program
to become.
"""

import ctypes
import json
import os
import re
import sys

MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC = 1, 32, 4096, 16384
LIBRARY = re.compile(r"(\.so(\.[\w.]+)?$)|(^ld-linux)")
libc = ctypes.CDLL(None, use_errno=True)


class SetUpFailed(Exception):
    """A mount the kernel refused."""


def mount(
    source: str | None, target: str, kind: str | None, flags: int, data: str | None = None
) -> None:
    done = libc.mount(
        None if source is None else source.encode(),
        target.encode(),
        None if kind is None else kind.encode(),
        ctypes.c_ulong(flags),
        None if data is None else data.encode(),
    )
    if done != 0:
        error = ctypes.get_errno()
        raise SetUpFailed(f"mount {target}: {os.strerror(error)}")


def hide(folder: str) -> None:
    mount("none", folder, "tmpfs", 0, "size=16k,mode=755")


def bind_read_only(source: str, target: str) -> None:
    mount(source, target, None, MS_BIND | MS_REC)
    mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY)


def filtered(folder: str, kept: set[str], scratch: str) -> None:
    """A copy of ``folder`` on the scratch tmpfs where each entry is the real one bound in,
    except libraries not kept, which are absent; then bound over the folder."""
    view = os.path.join(scratch, str(len(os.listdir(scratch))))
    os.mkdir(view)
    for entry in os.scandir(folder):
        source, target = entry.path, os.path.join(view, entry.name)
        if LIBRARY.search(entry.name) and os.path.realpath(source) not in kept:
            continue
        if entry.is_symlink():
            os.symlink(os.readlink(source), target)
        elif entry.is_dir():
            os.mkdir(target)
            mount(source, target, None, MS_BIND | MS_REC)
        else:
            open(target, "wb").close()
            mount(source, target, None, MS_BIND)
    mount(view, folder, None, MS_BIND | MS_REC)


def main() -> None:
    with open(sys.argv[1]) as handle:
        spec = json.load(handle)
    try:
        bind_read_only(*spec["bind"])
        for folder in spec["hide"]:
            hide(folder)
        scratch = spec["scratch"]
        mount("none", scratch, "tmpfs", 0, "mode=755")
        kept = set(spec["kept"])
        # Deepest first: a parent's view binds its children as they are already filtered.
        for folder in sorted(spec["filter"], key=lambda f: f.count("/"), reverse=True):
            filtered(folder, kept, scratch)
    except (OSError, SetUpFailed) as error:
        print(f"pytest-nuitka clean room: cannot set up: {error}", file=sys.stderr)
        sys.exit(125)
    program = sys.argv[2:]
    try:
        os.execv(program[0], program)
    except OSError as error:
        print(f"pytest-nuitka clean room: cannot run {program[0]}: {error}", file=sys.stderr)
        sys.exit(126)


if __name__ == "__main__":
    main()
