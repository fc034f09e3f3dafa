"""No stale binary, with the real Nuitka: each change below was a cache hit whose binary
behaved differently from a fresh build of the same inputs. Each must now rebuild, and the
rebuilt binary must do what the script does; an unrelated change must rebuild nothing."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import sysconfig
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import USER_CACHE
from pytest_nuitka.base import environment
from pytest_nuitka.base.settings import Mode
from pytest_nuitka.compile import builder as builds
from pytest_nuitka.compile.builder import Builder
from pytest_nuitka.compile.compilers import NuitkaCompiler
from pytest_nuitka.plugin.fixture import BUILDER


@pytest.fixture
def real_build(
    pytestconfig: pytest.Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., tuple[int, str]]:
    """Builds a script with the real Nuitka into a private cache (ccache and Nuitka's own
    cache stay the user's); returns (builds made, what the binary prints)."""
    settings = pytestconfig.stash[BUILDER].settings
    if not settings.compile:
        pytest.skip("the binary side needs --nuitka-compile")
    monkeypatch.setenv("CCACHE_DIR", os.environ.get("CCACHE_DIR", str(USER_CACHE / "ccache")))
    private = dataclasses.replace(settings, cache_dir=tmp_path / "cache", rebuild=False)

    def run(script: Path, mode: str = "accelerated") -> tuple[int, str]:
        builder = Builder(private, NuitkaCompiler, "stale", lambda _: None, str)
        entry = builder.build(script, mode=Mode(mode), options=(), data=(), ship=(), env={})
        shown = subprocess.run(  # from the cache, as it was built: no help finding modules
            [entry.executable], capture_output=True, text=True, timeout=120, cwd=tmp_path
        )
        assert shown.returncode == 0, shown.stderr
        return builder.stats.builds, shown.stdout.strip()

    return run


def script_prints(script: Path) -> str:
    done = subprocess.run([sys.executable, script], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_an_optional_module_added_after_the_build(
    real_build: Callable[..., tuple[int, str]], tmp_path: Path
) -> None:
    app = tmp_path / "app" / "app.py"
    app.parent.mkdir()
    app.write_text(
        "try:\n    import fast_impl\nexcept ImportError:\n    print('slow')\n"
        "else:\n    print(fast_impl.NAME)\n"
    )
    assert real_build(app) == (1, "slow")
    (app.parent / "fast_impl.py").write_text("NAME = 'fast'\n")
    assert real_build(app) == (1, "fast") and script_prints(app) == "fast"
    assert real_build(app) == (0, "fast")


def test_a_package_added_beside_a_module_of_the_same_name(
    real_build: Callable[..., tuple[int, str]], tmp_path: Path
) -> None:
    app = tmp_path / "app" / "app.py"
    app.parent.mkdir()
    app.write_text("import helper\nprint(helper.KIND)\n")
    (app.parent / "helper.py").write_text("KIND = 'module'\n")
    assert real_build(app) == (1, "module")
    (app.parent / "helper").mkdir()
    (app.parent / "helper" / "__init__.py").write_text("KIND = 'package'\n")
    assert script_prints(app) == "package"
    assert real_build(app) == (1, "package")
    (tmp_path / "notes.py").write_text("# outside the app's folder\n")
    assert real_build(app) == (0, "package")


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """A package edited in place in site-packages, and a .pth file there pointing to one of
    two folders that hold a module of the same name; removed afterwards."""
    site = Path(sysconfig.get_paths()["purelib"])
    tag = uuid.uuid4().hex[:8]
    package, pointed = f"pn_patched_{tag}", f"pn_pointed_{tag}"
    (site / package).mkdir()
    (site / package / "__init__.py").write_text("VALUE = 'as installed'\n")
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"{pointed}.py").write_text(f"WHERE = {folder!r}\n")
    pth = site / f"{pointed}.pth"
    pth.write_text(f"{tmp_path / 'a'}\n")
    app = tmp_path / "app" / "app.py"
    app.parent.mkdir()
    app.write_text(f"import {package}, {pointed}\nprint({package}.VALUE, {pointed}.WHERE)\n")
    try:
        yield package, pth, app
    finally:
        subprocess.run(["rm", "-rf", str(site / package)], check=False)
        pth.unlink(missing_ok=True)


def test_standalone_installed_file_edited_and_pth_repointed(
    real_build: Callable[..., tuple[int, str]], installed: tuple[str, Path, Path], tmp_path: Path
) -> None:
    package, pth, app = installed
    site = pth.parent
    assert real_build(app, "standalone") == (1, "as installed a")
    (site / package / "__init__.py").write_text("VALUE = 'patched'\n")  # same version
    assert script_prints(app) == "patched a"
    assert real_build(app, "standalone") == (1, "patched a")
    pth.write_text(f"{tmp_path / 'b'}\n")
    assert script_prints(app) == "patched b"
    assert real_build(app, "standalone") == (1, "patched b")
    assert real_build(app, "standalone") == (0, "patched b")


@pytest.mark.parametrize(
    ("name", "installed"),
    [("packaging", "an installed package"), ("json", "the standard library")],
)
def test_a_local_module_that_shadows_an_imported_one(
    real_build: Callable[..., tuple[int, str]], tmp_path: Path, name: str, installed: str
) -> None:
    """The app imports ``name`` from {installed}; a module of that name then appears beside
    the script, which both the script and a fresh build now take."""
    app = tmp_path / "app" / "app.py"
    app.parent.mkdir()
    app.write_text(f"import {name}\nprint(getattr({name}, 'WHO', 'installed'))\n")
    assert real_build(app) == (1, "installed")
    (app.parent / f"{name}.py").write_text("WHO = 'local'\n")
    assert script_prints(app) == "local"
    assert real_build(app) == (1, "local")
    assert real_build(app) == (0, "local")


def test_what_cannot_change_the_binary_rebuilds_nothing(
    real_build: Callable[..., tuple[int, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new file beside the script that no import finds, and a folder added to the search
    path (another project's `pip install -e`) where none of the app's imports resolve."""
    app = tmp_path / "app" / "app.py"
    app.parent.mkdir()
    app.write_text("import json\nprint(json.dumps('same'))\n")
    assert real_build(app) == (1, '"same"')
    (app.parent / "notes.py").write_text("print('a scratch file')\n")
    other = tmp_path / "other_project"
    (other / "other_project").mkdir(parents=True)
    (other / "other_project" / "__init__.py").write_text("")
    search = environment.module_search_path(os.environ)  # a .pth file's folder, added
    monkeypatch.setattr(builds, "module_search_path", lambda env: (*search, str(other)))
    assert real_build(app) == (0, '"same"')
