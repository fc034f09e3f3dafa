"""The real error behind Keras's traceback filter.

Keras and TensorFlow re-raise errors with their own frames cut out. On a compiled binary the
cutting itself fails (a compiled frame is not a frame object: ``SystemError: bad argument to
internal function``; a compiled function's stub code has no line: ``TypeError: 'NoneType'
object cannot be interpreted as an integer``), and Keras 3 re-raises ``from None``, hiding the
cause. A failed run whose traceback went through the filter is run again with filtering off
(``unfiltered/sitecustomize.py``), so that its real error is shown and diagnosed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from pytest_nuitka.run.runs import Run

THROUGH_FILTER = re.compile(
    r'traceback_utils\.py", line \d+, in (error_handler|_process_traceback_frames)'
)
SITE = Path(__file__).parent / "unfiltered"
SHOWN = 16  # lines of the real error's traceback shown


def filtered(run: Run) -> bool:
    return not run.ok and bool(THROUGH_FILTER.search(run.stderr))


def reveal(runs: Sequence[Run]) -> list[Run]:
    """Each failed run that went through the filter, run again with filtering off."""
    found = []
    for run in runs:
        if filtered(run) and run.redo is not None:
            path = os.pathsep.join(p for p in (str(SITE), run.env.get("PYTHONPATH")) if p)
            found.append(run.redo({"PYTHONPATH": path}))
    return found


def note(run: Run) -> str:
    """What the run again with filtering off raised: each exception of the chain, the app's
    frames, and the frame that raised."""
    lines = run.failure().lines()
    kept = [
        line
        for line, after in zip(lines, [*lines[1:], ""], strict=True)
        if not line.startswith('  File "')
        or line.startswith(('  File "<app>', '  File "<appdir>'))
        or not after.startswith('  File "')
    ]
    shown = kept[-SHOWN:] or run.stderr.rstrip().splitlines()[-SHOWN:]
    return "\n".join(
        [
            f"the {run.side} again with Keras's traceback filtering off ({run.status}; "
            f"cwd {run.cwd}):",
            *(f"  {line}" for line in shown),
        ]
    )
