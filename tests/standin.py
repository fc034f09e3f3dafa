"""A stand-in compiler for the plugin's own logic tests, plugged in through the documented
``pytest_nuitka_compiler`` hook (``-p standin``). It "compiles" in milliseconds: the binary is
a shell wrapper that runs a snapshot of the app's sources with ``__compiled__`` defined, so a
later edit of a source is not seen until a rebuild, as with a real binary.

Knobs, through the build environment (``nuitka.compile(env=...)``):
STANDIN_FAIL=1 fails the build, STANDIN_SLEEP=<s> makes it slow.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from pytest_nuitka.compilers import BuildRequest, Built, CompileFailed

WRAPPER = """#!/bin/sh
exec {python} -c '
import os, runpy, sys
sys.argv = sys.argv[1:]
src = os.path.join(os.path.dirname(os.path.realpath(sys.argv[0])), "src")
sys.path.insert(0, src)
runpy.run_path(os.path.join(src, "{script}"), {{"__compiled__": True}}, "__main__")
' "$0" "$@"
"""


class StandInCompiler:
    def identity(self, env: Mapping[str, str]) -> str:
        return "stand-in 1"

    def build(self, request: BuildRequest, workdir: Path, product: Path, log: Path) -> Built:
        log.write_text(f"stand-in: building {request.script}\n")
        if request.env.get("STANDIN_FAIL"):
            with log.open("a") as f:
                f.write("stand-in: error: asked to fail\n")
            raise CompileFailed("stand-in: error: asked to fail")
        time.sleep(float(request.env.get("STANDIN_SLEEP", 0)))
        sources = sorted(request.script.parent.glob("*.py"))
        (product / "src").mkdir()
        for source in sources:
            shutil.copy2(source, product / "src" / source.name)
        binary = product / f"{request.name}.bin"
        binary.write_text(WRAPPER.format(python=sys.executable, script=request.script.name))
        binary.chmod(0o755)
        return Built(binary.name, tuple(sources))


@pytest.hookimpl
def pytest_nuitka_compiler(config: pytest.Config) -> StandInCompiler:
    return StandInCompiler()
