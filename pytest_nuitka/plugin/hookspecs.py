"""Hooks that pytest-nuitka offers to conftest.py files and plugins."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_nuitka.compile.compilers import Compiler


@pytest.hookspec(firstresult=True)
def pytest_nuitka_compiler(config: pytest.Config) -> Compiler | None:
    """Return the compiler that turns scripts into binaries (see ``compilers.Compiler``).

    The default runs Nuitka. A fast stand-in is meant for testing the plugin's own logic;
    its identity is part of every cache key, so its builds never mix with Nuitka's.
    """
