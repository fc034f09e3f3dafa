"""The dist as on another machine: the static check of the shared libraries it needs from
outside itself, and the clean room that hides every system library outside the manylinux
policy. The app loads a native helper that needs libgmp.so.10, which the build machine has
(gcc needs it) and the policy does not allow."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_nuitka.build import libraries
from pytest_nuitka.check.diagnose import DiagnosedFailure
from pytest_nuitka.errors import CheckFailed

if TYPE_CHECKING:
    from pytest_nuitka.session import Nuitka

APP = Path(__file__).parent / "apps" / "native"
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


def test_the_policy_is_auditwheels_for_this_glibc() -> None:
    policy = libraries.policy()
    assert policy.name.startswith("manylinux_") and policy.name.endswith("_x86_64")
    assert {"libc.so.6", "libstdc++.so.6", "libm.so.6", "libz.so.1"} <= policy.allowed
    assert FOREIGN not in policy.allowed
    assert libraries.allowed("ld-linux-x86-64.so.2")


def test_a_library_from_outside_the_policy_is_reported_with_who_needs_it(
    tmp_path: Path,
) -> None:
    native_app(tmp_path / "dist")
    found = libraries.foreign(tmp_path / "dist")
    assert found == [
        libraries.Foreign(FOREIGN, ("native/libgmpversion.so",), str(system_library()))
    ]
    report = libraries.report(tmp_path / "dist", found)
    assert f"{FOREIGN}  needed by native/libgmpversion.so  (here: {system_library()})" in report
    assert libraries.policy().name in report and "remedy: include the library" in report


def test_a_library_the_dist_holds_is_not_foreign(tmp_path: Path) -> None:
    native_app(tmp_path / "dist")
    shutil.copy(system_library(), tmp_path / "dist" / "native" / FOREIGN)
    assert libraries.foreign(tmp_path / "dist") == []


def test_a_link_out_of_the_dist_does_not_hold_the_library(tmp_path: Path) -> None:
    """A planted link named like the library points at the build machine's copy: the dist
    still needs it from outside, and the link itself is reported."""
    native_app(tmp_path / "dist")
    (tmp_path / "dist" / "native" / FOREIGN).symlink_to(system_library())
    assert [f.soname for f in libraries.foreign(tmp_path / "dist")] == [FOREIGN]
    assert libraries.links_out(tmp_path / "dist") == [(f"native/{FOREIGN}", str(system_library()))]
    inside = tmp_path / "dist" / "native" / "libgmpversion.so.1"
    inside.symlink_to("libgmpversion.so")
    assert len(libraries.links_out(tmp_path / "dist")) == 1  # a link inside stays inside


def test_files_that_are_not_whole_elf_files_need_nothing(tmp_path: Path) -> None:
    (tmp_path / "truncated.so").write_bytes(b"\x7fELF\x02\x01")
    (tmp_path / "garbage.so").write_bytes(b"\x7fELF" + bytes(range(256)) * 8)
    assert libraries.foreign(tmp_path) == []


def test_the_clean_room_keeps_the_policy_libraries_and_their_needs() -> None:
    kept = {path.name for path in libraries.kept_on_target()}
    assert "libc.so.6" in kept and any(name.startswith("libstdc++") for name in kept)
    assert system_library().resolve() not in libraries.kept_on_target()


def test_the_clean_room_hides_system_libraries_outside_the_policy(
    nuitka: Nuitka, tmp_path: Path
) -> None:
    app = nuitka.compile("apps/probe/app.py", mode="standalone")
    libc = libraries.resolve("libc.so.6")
    assert libc is not None
    not_a_library = Path("/usr/lib/os-release")
    run = app.run_both("--read", str(libc), "--read", str(not_a_library), portable=True)
    run.assert_match()  # a policy library and a file that is no library stay
    hidden = app.run_binary("--read", str(system_library()), portable=True)
    assert f"No such file or directory: '{system_library()}'" in hidden.stderr
    spec = json.loads(next(tmp_path.rglob("room.json")).read_text())
    assert str(system_library().parent) in spec["filter"]


def test_a_dist_that_needs_a_system_library_fails_both_checks(
    nuitka: Nuitka, tmp_path: Path
) -> None:
    script = native_app(tmp_path / "app")
    app = nuitka.compile(
        script, mode="standalone", data=[script.parent / "native" / "libgmpversion.so"]
    )
    with pytest.raises(CheckFailed) as static:
        app.assert_libraries()
    assert f"{FOREIGN}  needed by native/libgmpversion.so" in str(static.value)
    app.run_both().assert_match()  # here the build machine's library is found
    with pytest.raises(DiagnosedFailure) as failure:
        app.run_both(portable=True).assert_match()
    assert [d.issue.id for d in failure.value.diagnoses] == ["system-library-missing"]
    assert f"{FOREIGN}: cannot open shared object file" in str(failure.value)


def test_the_library_included_passes_both_checks(nuitka: Nuitka, tmp_path: Path) -> None:
    remedy = f"--include-data-files={system_library()}=native/{FOREIGN}"
    script = native_app(tmp_path / "app")
    app = nuitka.compile(
        script,
        mode="standalone",
        data=[script.parent / "native" / "libgmpversion.so"],
        options=[remedy],
    )
    app.assert_libraries()
    run = app.run_both(portable=True)
    run.assert_match()
    assert run.binary.stdout.startswith("gmp ")
