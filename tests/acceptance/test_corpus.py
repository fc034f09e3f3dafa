"""The outside corpus: programs nobody here wrote, compiled and compared as a user would.

A program whose behaviour Nuitka keeps must pass ``assert_match()`` (no false alarm); one whose
behaviour it changes must fail it (no miss). The CI subset runs by default;
``PYTEST_NUITKA_CORPUS=all`` runs every program (``python bench/corpus.py`` does, and adds
Nuitka's own verdict beside ours).
"""

from __future__ import annotations

import os
import tomllib
from typing import TYPE_CHECKING

import pytest

from conftest import TESTS

if TYPE_CHECKING:
    from pytest_nuitka.api.session import Nuitka

CORPUS = TESTS / "corpus"


def programs() -> list[object]:
    listed = tomllib.loads((CORPUS / "corpus.toml").read_text(encoding="utf-8"))["program"]
    every = os.environ.get("PYTEST_NUITKA_CORPUS") == "all"
    return [
        pytest.param(p["path"], p["verdict"], id=p["path"]) for p in listed if every or p.get("ci")
    ]


@pytest.mark.parametrize(("program", "verdict"), programs())
def test_outside_program(nuitka: Nuitka, program: str, verdict: str) -> None:
    run = nuitka.compile(CORPUS / program).run_both()
    if verdict == "same" or os.environ.get("PYTEST_NUITKA_CORPUS_RAW"):
        run.assert_match()  # RAW: the plugin's own verdict, for bench/corpus.py
    else:
        assert run.differences(), f"{program}: Nuitka changes its behaviour, nothing was seen"
