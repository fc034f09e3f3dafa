"""The Nuitka releases the plugin serves: declared once, translated where a release spells an
option otherwise, refused below the floor with both versions named."""

from __future__ import annotations

import configparser
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.version import Version

from conftest import NEEDS_COMPILE, TESTS
from pytest_nuitka.base import environment
from pytest_nuitka.base.errors import BuildError
from pytest_nuitka.base.settings import Mode
from pytest_nuitka.compile import compilers
from pytest_nuitka.compile.compilers import mode_options

ROOT = TESTS.parent


def test_the_floor_is_declared_where_pip_and_tox_read_it() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert environment.NUITKA_REQUIREMENT in project["dependencies"]
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    oldest = [name for name in tox.sections() if name.endswith("-nuitkaoldest")]
    assert oldest, "the matrix has no cell with the oldest Nuitka"
    for name in oldest:
        assert f"nuitka=={environment.OLDEST_NUITKA}\n" in tox[name]["deps"] + "\n"


@pytest.mark.parametrize(
    ("release", "mode", "options"),
    [
        ("4.3.3", Mode.STANDALONE, ["--mode=standalone"]),
        ("2.5", Mode.ACCELERATED, ["--mode=accelerated"]),
        ("2.4.8", Mode.ACCELERATED, []),
        ("2.4.8", Mode.STANDALONE, ["--standalone"]),
        ("2.4.8", Mode.ONEFILE, ["--onefile"]),
    ],
)
def test_the_mode_is_spelled_as_each_release_reads_it(
    release: str, mode: Mode, options: list[str]
) -> None:
    assert mode_options(mode, Version(release)) == options


def test_below_the_floor_the_error_names_both_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(environment, "version_of", lambda name: "1.9")
    with pytest.raises(BuildError) as error:
        environment.require_nuitka()
    message = str(error.value)
    assert f"Nuitka 1.9 is installed in {sys.executable}" in message
    assert f"pytest-nuitka needs {environment.NUITKA_REQUIREMENT}" in message
    assert "pip install" in message


def test_shipping_packages_needs_the_release_whose_dists_import_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(compilers, "require_nuitka", lambda: "2.8.10")
    request = compilers.BuildRequest(
        script=tmp_path / "app.py",
        mode=Mode.STANDALONE,
        options=(),
        data=(),
        ship=("numpy",),
        env={},
        timeout=60,
    )
    with pytest.raises(BuildError, match=r"needs nuitka>=4.0; Nuitka 2.8.10 is installed"):
        compilers.NuitkaCompiler().command(request, tmp_path)


@pytest.mark.real
def test_a_release_below_the_floor_fails_the_first_build_saying_so(
    pytestconfig: pytest.Config,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """With the real Nuitka 1.9 first on the path: the release before the floor."""
    from pytest_nuitka.plugin.fixture import BUILDER

    if not pytestconfig.stash[BUILDER].settings.compile:
        pytest.skip(NEEDS_COMPILE)
    old = tmp_path / "nuitka-1.9"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(old),
            "nuitka==1.9",
        ],
        check=True,
        timeout=600,
    )
    pytester.makepyfile(app="print('hello')")
    pytester.makepyfile(
        test_app="def test_it(nuitka):\n    nuitka.compile('app.py').run_both().assert_match()\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(old))
    result = pytester.runpytest_subprocess(
        "--nuitka-compile", f"--nuitka-cache-dir={tmp_path / 'cache'}", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [f"*Nuitka 1.9 is installed in *; pytest-nuitka needs {environment.NUITKA_REQUIREMENT}*"]
    )
