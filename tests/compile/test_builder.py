"""Every input of the cache key, changed one at a time, forces a rebuild; nothing else does."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from standin import StandInCompiler

from pytest_nuitka.base import environment
from pytest_nuitka.base.settings import Mode, Settings
from pytest_nuitka.compile import builder as builds
from pytest_nuitka.compile.builder import Builder

SETTINGS = Settings(
    compile=True,
    cache_dir=Path("/nonexistent"),
    cache_bytes=1 << 30,
    rebuild=False,
    mode=Mode.ACCELERATED,
    build_timeout=60,
    run_timeout=60,
    nuitka_args=(),
    frozen_env=("TF_USE_LEGACY_KERAS",),
    full_standalone=False,
    torch_jit=True,
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text("import helper\nprint(helper.VALUE)\n")
    (tmp_path / "helper.py").write_text("VALUE = 1\n")
    (tmp_path / "labels.json").write_text("{}")
    (tmp_path / "config.yml").write_text("- module-name: helper\n")
    return tmp_path


def build_count(project: Path, cache: Path, **change: Any) -> int:
    """Builds one app with the defaults overridden by ``change``; returns builds made."""
    builder = Builder(
        dataclasses.replace(SETTINGS, cache_dir=cache),
        change.get("compiler", StandInCompiler),
        "run",
        lambda _: None,
        str,
    )
    builder.build(
        project / "app.py",
        mode=change.get("mode", "accelerated"),
        options=change.get(
            "options", [f"--user-package-configuration-file={project / 'config.yml'}"]
        ),
        data=[project / "labels.json"],
        ship=change.get("ship", ()),
        env=change.get("env", {}),
    )
    return builder.stats.builds


class NewerStandIn(StandInCompiler):
    def identity(self, env: Mapping[str, str]) -> str:
        return "stand-in 2"


def edit(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


@pytest.mark.parametrize(
    "change",
    [
        "script",
        "local module",
        "data file",
        "option",
        "package configuration",
        "frozen variable",
        "interpreter",
        "installed distribution version",
        "compiler version",
        "shipped packages",
        "mode",
        "torch JIT choice",
        "user plugin file",
        "data file named by an option",
        "data file matched by an option's pattern",
        "CFLAGS",
        "CCFLAGS",
        "LDFLAGS",
        "CPATH",
        "SOURCE_DATE_EPOCH",
        "NUITKA_* variable",
        "PYTHONPATH",
        ".pth file",
    ],
)
def test_each_key_input_forces_a_rebuild(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    cache = tmp_path / "cache"
    assert build_count(project, cache) == 1
    assert build_count(project, cache) == 0  # nothing changed: a hit
    kwargs: dict[str, Any] = {}
    if change == "script":
        edit(project / "app.py", "# edited\n")
    elif change == "local module":
        edit(project / "helper.py", "OTHER = 2\n")
    elif change == "data file":
        (project / "labels.json").write_text('{"0": "cat"}')
    elif change == "option":
        kwargs["options"] = [
            f"--user-package-configuration-file={project / 'config.yml'}",
            "--lto=no",
        ]
    elif change == "package configuration":
        edit(project / "config.yml", "  implicit-imports: []\n")
    elif change == "frozen variable":
        kwargs["env"] = {"TF_USE_LEGACY_KERAS": "1"}
    elif change == "interpreter":
        # The builder's own names are patched; the real values come from where they live.
        real = environment.interpreter()
        monkeypatch.setattr(builds, "interpreter", lambda: {**real, "prefix": "/other/venv"})
    elif change == "installed distribution version":
        dists = environment.installed_distributions()
        monkeypatch.setattr(builds, "installed_distributions", lambda: (*dists, "zzz==2.0"))
    elif change == "compiler version":
        kwargs["compiler"] = NewerStandIn
    elif change == "shipped packages":
        kwargs["mode"] = "standalone"
        assert build_count(project, cache, **kwargs) == 1
        kwargs["ship"] = ["numpy"]
    elif change == "mode":
        kwargs["mode"] = "standalone"
    elif change == "torch JIT choice":
        kwargs["options"] = [
            f"--user-package-configuration-file={project / 'config.yml'}",
            "--module-parameter=torch-disable-jit=yes",
        ]
    elif change in ("user plugin file", "data file named by an option"):
        named = {
            "user plugin file": ("plugin.py", "--user-plugin={}"),
            "data file named by an option": ("extra.csv", "--include-data-files={}=extra.csv"),
        }
        name, option = named[change]
        (tmp_path / name).write_text("first\n")
        kwargs["options"] = [option.format(tmp_path / name)]
        assert build_count(project, cache, **kwargs) == 1
        assert build_count(project, cache, **kwargs) == 0
        edit(tmp_path / name, "second\n")
    elif change == "data file matched by an option's pattern":
        (tmp_path / "shards").mkdir()
        (tmp_path / "shards" / "a.bin").write_bytes(b"a")
        kwargs["options"] = [f"--include-data-files={tmp_path}/shards/*.bin=shards/"]
        assert build_count(project, cache, **kwargs) == 1
        (tmp_path / "shards" / "b.bin").write_bytes(b"b")
    elif change == "NUITKA_* variable":
        kwargs["env"] = {"NUITKA_EXTRA_OPTIONS": "--lto=no"}
    elif change == ".pth file":
        site = tmp_path / "site"
        site.mkdir()
        (site / "extra.pth").write_text(str(tmp_path / "a") + "\n")
        search = environment.module_search_path(os.environ)
        monkeypatch.setattr(builds, "module_search_path", lambda env: (*search, str(site)))
        # A folder added to the path keys nothing: no import of the app resolves there.
        assert build_count(project, cache) == 0
        (site / "extra.pth").write_text("import os; os.environ['X'] = '1'\n")  # start-up code
    elif change in ("CFLAGS", "CCFLAGS", "LDFLAGS", "CPATH", "SOURCE_DATE_EPOCH", "PYTHONPATH"):
        kwargs["env"] = {change: str(tmp_path)}
    assert build_count(project, cache, **kwargs) == 1
    assert build_count(project, cache, **kwargs) == 0


def test_unrelated_changes_do_not_rebuild(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    assert build_count(project, cache) == 1
    (project / "notes.txt").write_text("not an input")
    (tmp_path / "elsewhere.py").write_text("# a comment outside the app's folder\n")
    monkeypatch.setenv("SOME_UNRELATED_VARIABLE", "1")
    monkeypatch.setenv("CCACHE_DIR", str(tmp_path / "ccache"))  # where, not what
    monkeypatch.setenv("NUITKA_CACHE_DIR", str(tmp_path / "nuitka-cache"))
    assert build_count(project, cache, env={"UNRELATED": "x"}) == 0


def test_an_editable_install_repointed_with_the_same_pth_line_is_a_change(
    tmp_path: Path,
) -> None:
    """setuptools' editable finder: the .pth line stays, the finder's MAPPING moves."""
    (tmp_path / "__editable__.app-1.0.pth").write_text(
        "import __editable___app_finder; __editable___app_finder.install()\n"
    )
    finder = tmp_path / "__editable___app_finder.py"
    finder.write_text("MAPPING = {'app': '/src/one/app'}\n")
    before = environment.startup_code((str(tmp_path),))
    finder.write_text("MAPPING = {'app': '/src/two/app'}\n")
    assert environment.startup_code((str(tmp_path),)) != before
    (tmp_path / "paths.pth").write_text("/src/three\n")  # a folder only: the path shows it
    assert len(environment.startup_code((str(tmp_path),))) == 1


def test_the_search_path_is_read_again_when_a_pth_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read once a session (a subprocess), and again when a .pth file in its folders is
    added, edited or removed: each lookup resolves the build's imports along it."""
    site = tmp_path / "site"
    site.mkdir()
    asked: list[int] = []

    def fake_run(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        asked.append(1)
        return subprocess.CompletedProcess([], 0, json.dumps([str(site)]), "")

    monkeypatch.setattr(subprocess, "run", fake_run)
    environment._module_search_path.cache_clear()
    environment._pth_signature_when.cache_clear()
    env = {"PYTHONPATH": str(tmp_path / "unique")}
    assert environment.module_search_path(env) == (str(site),)
    assert environment.module_search_path(env) == (str(site),)
    assert len(asked) == 1
    (site / "extra.pth").write_text(f"{tmp_path}\n")
    environment.module_search_path(env)
    assert len(asked) == 2
    environment._module_search_path.cache_clear()
    environment._pth_signature_when.cache_clear()
