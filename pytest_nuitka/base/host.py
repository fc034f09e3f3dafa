"""Where the plugin can compile and run apps: Linux, for now. It imports anywhere, so that
having it installed breaks no session on Windows or macOS."""

from __future__ import annotations

import sys

NEEDS = (
    "file locks on the build cache (fcntl), the supervision that kills a run's whole process "
    "tree (prctl, /proc) and the clean room (mount namespaces)"
)


def unsupported() -> str | None:
    """Why this machine cannot compile or run an app under the plugin, or None."""
    if not sys.platform.startswith("linux"):
        here = sys.platform
        return f"pytest-nuitka runs apps on Linux only for now (this is {here}): it needs {NEEDS}"
    try:
        import fcntl  # noqa: F401
    except ImportError:
        return f"this Python has no fcntl module, which pytest-nuitka needs: {NEEDS}"
    return None
