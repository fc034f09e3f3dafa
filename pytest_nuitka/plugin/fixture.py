"""The ``nuitka`` fixture, and the session's builder it draws on."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from pytest_nuitka.api.session import Nuitka
from pytest_nuitka.base import host
from pytest_nuitka.compile.builder import Builder
from pytest_nuitka.run.scheduler import Scheduler

BUILDER = pytest.StashKey[Builder]()
SCHEDULER = pytest.StashKey[Scheduler]()


def nuitka_for(config: pytest.Config, search: Sequence[Path], base: Path) -> Nuitka:
    """A ``Nuitka`` whose runs get fresh folders under ``base``; a skip, saying why, where
    the plugin cannot run apps."""
    why = host.unsupported()
    if why:
        pytest.skip(why)

    def workdir(name: str) -> Path:
        folder = base / name
        folder.mkdir(parents=True)
        return folder

    builder = config.stash[BUILDER]
    return Nuitka(builder.settings, builder, search, workdir, config.stash[SCHEDULER])


@pytest.fixture
def nuitka(request: pytest.FixtureRequest, tmp_path: Path) -> Nuitka:
    """Compile scripts with Nuitka (cached) and compare their binaries with them."""
    return nuitka_for(
        request.config, [request.path.parent, request.config.rootpath], tmp_path / "nuitka"
    )
