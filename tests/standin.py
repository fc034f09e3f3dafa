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

from pytest_nuitka.cache.product import Built, CompileFailed
from pytest_nuitka.compile.compilers import BuildRequest

# The snapshot runs under the script's own path, as a Nuitka binary's code does, and the
# wrapper's frame is left out of tracebacks, so that a failure reads as the script's would.
WRAPPER = """#!/bin/sh
exec {python} -c '
import os, sys
sys.argv = sys.argv[1:]
src = os.path.join(os.path.dirname(os.path.realpath(sys.argv[0])), "src")
sys.path.insert(0, src)
sys.excepthook = lambda k, v, tb: sys.__excepthook__(k, v.with_traceback(tb.tb_next), None)
with open(os.path.join(src, "{script}"), "rb") as f:
    code = compile(f.read(), "{original}", "exec")
exec(code, {{"__name__": "__main__", "__file__": "{original}", "__compiled__": True}})
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
        binary.write_text(
            WRAPPER.format(
                python=sys.executable, script=request.script.name, original=request.script
            )
        )
        binary.chmod(0o755)
        return Built(binary.name, tuple(sources))


def pytest_nuitka_compiler(config: object) -> StandInCompiler:
    """The plugin's hook (no pytest import: the library test uses this module without it)."""
    return StandInCompiler()
