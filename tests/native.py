"""The app that loads a native helper linked to a system library outside the manylinux policy
(libgmp.so.10, which the build machine has: gcc needs it): shared by the library check's tests
and the remedy's."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from conftest import APPS
from pytest_nuitka.base import libraries

APP = APPS / "native"
FOREIGN = "libgmp.so.10"


def system_library() -> Path:
    found = libraries.resolve(FOREIGN)
    assert found is not None, f"{FOREIGN} is not on this machine: apt-get install libgmp10"
    return found


def native_app(into: Path) -> Path:
    """A copy of the app with its helper built beside it (gcc, linked to libgmp, rpath
    $ORIGIN as a packager would set it)."""
    shutil.copytree(APP, into)
    (into / "native").mkdir()
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            "-o",
            str(into / "native" / "libgmpversion.so"),
            str(into / "gmpversion.c"),
            f"-l:{FOREIGN}",
            "-Wl,-rpath,$ORIGIN",
        ],
        check=True,
    )
    return into / "app.py"
