"""Which local modules a build follows: what the app imports, directly or through each other."""

from __future__ import annotations

import warnings
from pathlib import Path

from pytest_nuitka.compile.builder import check_syntax
from pytest_nuitka.compile.compilers import followed_modules


def test_follows_imports_of_every_kind_and_through_local_modules(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "import os, helper\n"
        "from pkg.sub import thing\n"
        "import importlib\n"
        "late = importlib.import_module('late')\n"
        "dunder = __import__('dunder')\n"
        "computed = importlib.import_module('comp' + 'uted')\n"
    )
    (tmp_path / "helper.py").write_text("from . import nothing\nimport deep\n")
    (tmp_path / "deep.py").write_text("")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub.py").write_text("import from_pkg\nthing = 1\n")
    for name in ("from_pkg", "late", "dunder", "computed", "unused", "app_two"):
        (tmp_path / f"{name}.py").write_text("")
    assert followed_modules(tmp_path / "app.py") == [
        "deep",
        "dunder",
        "from_pkg",
        "helper",
        "late",
        "pkg",
    ]


def test_a_package_shadows_a_module_of_the_same_name(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import helper\n")
    (tmp_path / "helper.py").write_text("import as_module\n")
    (tmp_path / "helper").mkdir()
    (tmp_path / "helper" / "__init__.py").write_text("import as_package\n")
    for name in ("as_module", "as_package"):
        (tmp_path / f"{name}.py").write_text("")
    assert followed_modules(tmp_path / "app.py") == ["as_package", "helper"]


def test_the_syntax_check_keeps_the_scripts_warnings_to_itself(tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text('import re\nPATTERN = re.compile("\\d+")\n')  # an invalid escape
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        check_syntax(script)
    assert [str(w.message) for w in seen] == []
