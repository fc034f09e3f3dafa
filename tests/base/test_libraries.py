"""The dist as on another machine: the static check of the shared libraries it needs from
outside itself, and the clean room that hides every system library outside the manylinux
policy. The app loads a native helper that needs libgmp.so.10, which the build machine has
(gcc needs it) and the policy does not allow.

A CUDA dist needs the GPU driver's libcuda.so.1, and its nvshmem and cufile plugins need
InfiniBand libraries nothing else does: tiny libraries built with gcc to those names, laid out
as in a torch CUDA dist, stand for them (no GPU needed)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from native import FOREIGN, native_app, system_library

from pytest_nuitka.base import libraries
from pytest_nuitka.check.diagnose import DiagnosedFailure

if TYPE_CHECKING:
    from pytest_nuitka.api.session import Nuitka


def gcc(out: Path, source: str, flags: Sequence[str], needs: Sequence[Path]) -> Path:
    """Compile ``source`` to ``out``; its DT_NEEDED names each of ``needs`` (by its soname),
    whether or not it uses it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["gcc", *flags, "-o", str(out), "-x", "c", "-", "-x", "none", "-Wl,--no-as-needed"]
        + [str(need) for need in needs],
        input=source,
        text=True,
        check=True,
    )
    return out


def shared(
    out: Path,
    needs: Sequence[Path] = (),
    soname: str = "",
    source: str = "",
    flags: Sequence[str] = (),
) -> Path:
    """A shared library named ``soname`` (its file name by default), with ``source`` added."""
    source = "int marker(void) { return 0; }\n" + source
    return gcc(
        out, source, ["-shared", "-fPIC", f"-Wl,-soname,{soname or out.name}", *flags], needs
    )


def defines(function: str) -> str:
    return f"void *{function}(void) {{ return 0; }}\n"


def uses(function: str) -> str:
    """A call to a function the library does not define: an undefined dynamic symbol."""
    return f"extern void *{function}(void);\nvoid *call(void) {{ return {function}(); }}\n"


def stubs(into: Path, *sonames: str) -> dict[str, Path]:
    """Libraries to link against, kept out of the dist: the machine the dist runs on has them,
    or not."""
    return {soname: shared(into / soname) for soname in sonames}


@pytest.fixture(scope="module")
def cuda_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A torch CUDA dist as measured, cut down: the extension module torch/_C.so reaches
    libtorch_cuda.so through libtorch_python.so, and libtorch_cuda.so needs the driver's
    libcuda.so.1, nvshmem's host library and cufile (through a link named by its soname);
    nvshmem's InfiniBand transport and cufile's RDMA plugin are opened by name when present,
    linked by nothing. Foreign libraries needed by the files the app loads: libgfortran.so.5
    (by the extension module), libnuma.so.1 (by libtorch_cuda.so), libnl-3.so.200 (by cufile),
    libbz2.so.1.0 (by libpython, which the main binary needs)."""
    root = tmp_path_factory.mktemp("cuda")
    out = stubs(
        root / "stubs",
        "libcuda.so.1",
        "libibverbs.so.1",
        "libmlx5.so.1",
        "librdmacm.so.1",
        "libgfortran.so.5",
        "libnuma.so.1",
        "libnl-3.so.200",
        "libbz2.so.1.0",
    )
    dist = root / "app.dist"
    nvshmem, cufile, lib = (
        dist / "nvidia/nvshmem/lib",
        dist / "nvidia/cufile/lib",
        dist / "torch/lib",
    )
    host = shared(nvshmem / "libnvshmem_host.so.3", [out["libcuda.so.1"]])
    shared(
        nvshmem / "nvshmem_transport_ibrc.so.3",
        [host, out["libcuda.so.1"], out["libibverbs.so.1"], out["libmlx5.so.1"]],
    )
    real = shared(cufile / "libcufile.so.1.16.0", [out["libnl-3.so.200"]], soname="libcufile.so.0")
    (cufile / "libcufile.so.0").symlink_to(real.name)
    shared(cufile / "libcufile_rdma.so.1", [real, out["librdmacm.so.1"], out["libibverbs.so.1"]])
    cuda = shared(lib / "libtorch_cuda.so", [out["libcuda.so.1"], out["libnuma.so.1"], host, real])
    python = shared(lib / "libtorch_python.so", [cuda])
    shared(dist / "torch/_C.so", [python, out["libgfortran.so.5"]], source=defines("PyInit__C"))
    libpython = shared(dist / "libpython3.12.so.1.0", [out["libbz2.so.1.0"]])
    gcc(dist / "app.bin", "int main(void) { return 0; }\n", [], [libpython])
    return dist


def examined(dist: Path) -> dict[str, libraries.Foreign]:
    return {item.soname: item for item in libraries.examine(dist)}


def test_the_policy_is_auditwheels_for_this_glibc() -> None:
    policy = libraries.policy()
    assert policy.name.startswith("manylinux_") and policy.name.endswith("_x86_64")
    assert {"libc.so.6", "libstdc++.so.6", "libm.so.6", "libz.so.1"} <= policy.allowed
    assert FOREIGN not in policy.allowed
    assert libraries.allowed("ld-linux-x86-64.so.2")


def test_a_library_only_a_helper_opened_with_ctypes_needs_is_named_as_a_note(
    tmp_path: Path,
) -> None:
    """Nothing links to the helper, as to a plugin: its library is a note, not dropped, and
    stays among what a target may lack (the clean room's remedy includes it)."""
    native_app(tmp_path / "dist")
    found = libraries.foreign(tmp_path / "dist")
    assert found == [
        libraries.Foreign(
            FOREIGN,
            ("native/libgmpversion.so",),
            str(system_library()),
            libraries.Kind.UNLINKED,
        )
    ]
    report = libraries.report(tmp_path / "dist", found)
    assert report.splitlines() == [
        f"note: {libraries.NOTES[libraries.Kind.UNLINKED]}:",
        f"  {FOREIGN}  needed by native/libgmpversion.so  (here: {system_library()})",
    ]


def test_the_drivers_library_is_a_note_not_a_failure(cuda_dist: Path) -> None:
    """libcuda.so.1 is the target's own: not among what a target may lack (a remedy would
    ship the build machine's), even though the files the app loads need it."""
    cuda = examined(cuda_dist)["libcuda.so.1"]
    assert cuda.kind is libraries.Kind.DRIVER and not cuda.fails
    assert cuda.needed_by == (
        "nvidia/nvshmem/lib/libnvshmem_host.so.3",
        "torch/lib/libtorch_cuda.so",
        "nvidia/nvshmem/lib/nvshmem_transport_ibrc.so.3",
    )
    assert "libcuda.so.1" not in {item.soname for item in libraries.foreign(cuda_dist)}


def test_the_nvidia_driver_list_names_its_libraries_by_stem() -> None:
    assert libraries.from_driver("libcuda.so.1") and libraries.from_driver("libcuda.so")
    assert libraries.from_driver("libnvidia-gpucomp.so.580.95.05")
    assert libraries.from_driver("libnvidia-pkcs11-openssl3.so.580.95.05")
    assert not libraries.from_driver("libcudart.so.13")  # CUDA's runtime ships in wheels
    assert not libraries.from_driver("libcuda_stub.so.1")


def test_libraries_only_plugins_need_are_notes_with_the_files_that_need_them(
    cuda_dist: Path,
) -> None:
    """The plugins link to nvshmem's host library and cufile, which are linked in: a link from
    a plugin does not pull the plugin in."""
    found = examined(cuda_dist)
    ibrc = "nvidia/nvshmem/lib/nvshmem_transport_ibrc.so.3"
    rdma = "nvidia/cufile/lib/libcufile_rdma.so.1"
    expected = {
        "libibverbs.so.1": (rdma, ibrc),
        "libmlx5.so.1": (ibrc,),
        "librdmacm.so.1": (rdma,),
    }
    for soname, needed_by in expected.items():
        assert found[soname].kind is libraries.Kind.UNLINKED, soname
        assert found[soname].needed_by == needed_by


def test_a_library_an_extension_module_needs_still_fails(cuda_dist: Path) -> None:
    fortran = examined(cuda_dist)["libgfortran.so.5"]
    assert fortran.kind is libraries.Kind.LINKED and fortran.needed_by == ("torch/_C.so",)


GNU, SYSV = "-Wl,--hash-style=gnu", "-Wl,--hash-style=sysv"  # DT_GNU_HASH, DT_HASH


@pytest.mark.parametrize(
    ("name", "source", "hash_style", "kind"),
    [
        ("_C.cpython-312-x86_64-linux-gnu.so", defines("PyInit__C"), GNU, libraries.Kind.LINKED),
        ("__init__.so", defines("PyInit_pkg"), GNU, libraries.Kind.LINKED),  # the package pkg
        ("_C.so", defines("PyInit__C"), SYSV, libraries.Kind.LINKED),
        ("_C.so", defines("PyInit_other"), GNU, libraries.Kind.UNLINKED),  # not imported so
        ("_C.so", uses("PyInit__C"), SYSV, libraries.Kind.UNLINKED),  # in DT_HASH all the same
    ],
    ids=["tagged-name", "package", "sysv-hash", "another-module", "undefined"],
)
def test_an_extension_module_is_known_by_the_init_function_python_calls(
    tmp_path: Path, name: str, source: str, hash_style: str, kind: libraries.Kind
) -> None:
    need = stubs(tmp_path / "stubs", "libgfortran.so.5")["libgfortran.so.5"]
    shared(tmp_path / "dist" / "pkg" / name, [need], source=source, flags=[hash_style])
    assert examined(tmp_path / "dist")["libgfortran.so.5"].kind is kind


def test_a_library_reached_through_dt_needed_still_fails(cuda_dist: Path) -> None:
    """libtorch_cuda.so is two DT_NEEDED steps from the extension module; cufile is found by
    the name of a link to it; libpython by the main binary (a program: it has an
    interpreter). What each needs fails."""
    found = examined(cuda_dist)
    assert found["libnuma.so.1"].kind is libraries.Kind.LINKED
    assert found["libnl-3.so.200"].kind is libraries.Kind.LINKED
    assert found["libnl-3.so.200"].needed_by == ("nvidia/cufile/lib/libcufile.so.1.16.0",)
    assert found["libbz2.so.1.0"].kind is libraries.Kind.LINKED
    assert [item.soname for item in libraries.foreign(cuda_dist) if item.fails] == [
        "libbz2.so.1.0",
        "libgfortran.so.5",
        "libnl-3.so.200",
        "libnuma.so.1",
    ]


def test_the_report_fails_on_what_the_app_loads_and_notes_the_rest(cuda_dist: Path) -> None:
    lines = libraries.report(cuda_dist, libraries.examine(cuda_dist)).splitlines()
    assert lines[0].startswith("the dist needs 4 shared libraries from outside itself")
    assert lines[5].startswith("remedy: include the library")
    driver = lines.index(f"note: {libraries.NOTES[libraries.Kind.DRIVER]}:")
    assert lines[driver + 1].startswith(
        "  libcuda.so.1  needed by nvidia/nvshmem/lib/libnvshmem_host.so.3, "
        "torch/lib/libtorch_cuda.so, nvidia/nvshmem/lib/nvshmem_transport_ibrc.so.3  (here: "
    )
    plugins = lines.index(f"note: {libraries.NOTES[libraries.Kind.UNLINKED]}:")
    assert [line.split()[0] for line in lines[plugins + 1 :]] == [
        "libibverbs.so.1",
        "libmlx5.so.1",
        "librdmacm.so.1",
    ]


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


def test_the_clean_room_keeps_the_drivers_libraries_where_this_machine_has_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A system folder as the driver installs itself: each library a real file named by the
    driver's version and a link by its soname; what the driver needs stays too."""
    system = tmp_path / "lib"
    dispatch = shared(system / "libGLdispatch.so.0")
    glx = shared(system / "libGLX_nvidia.so.580.95.05", [dispatch], soname="libGLX_nvidia.so.0")
    cuda = shared(system / "libcuda.so.580.95.05", soname="libcuda.so.1")
    (system / "libGLX_nvidia.so.0").symlink_to(glx.name)
    (system / "libcuda.so.1").symlink_to(cuda.name)
    other = shared(system / "libibverbs.so.1")
    monkeypatch.setattr(libraries, "search_path", lambda: (system,))
    kept = libraries.kept_on_target.__wrapped__()
    assert {cuda.resolve(), glx.resolve(), dispatch.resolve()} <= kept
    assert other.resolve() not in kept


def test_the_clean_room_hides_system_libraries_outside_the_policy(
    nuitka: Nuitka, tmp_path: Path
) -> None:
    app = nuitka.compile("tests/apps/probe/app.py", mode="standalone")
    libc = libraries.resolve("libc.so.6")
    assert libc is not None
    not_a_library = Path("/usr/lib/os-release")
    run = app.run_both("--read", str(libc), "--read", str(not_a_library), portable=True)
    run.assert_match()  # a policy library and a file that is no library stay
    hidden = app.run_binary("--read", str(system_library()), portable=True)
    assert f"No such file or directory: '{system_library()}'" in hidden.stderr
    spec = json.loads(next(tmp_path.rglob("room.json")).read_text())
    assert str(system_library().parent) in spec["filter"]


def test_a_helper_opened_with_ctypes_is_a_note_and_fails_the_clean_room(
    nuitka: Nuitka, tmp_path: Path
) -> None:
    """Nothing links to the helper: the static check cannot tell it from a plugin loaded when
    present and names its library as a note; the clean room runs it and fails."""
    script = native_app(tmp_path / "app")
    app = nuitka.compile(
        script, mode="standalone", data=[script.parent / "native" / "libgmpversion.so"]
    )
    app.assert_libraries()
    assert app.binary is not None
    [found] = libraries.foreign(app.binary.parent)
    assert (found.soname, found.needed_by) == (FOREIGN, ("native/libgmpversion.so",))
    assert found.kind is libraries.Kind.UNLINKED
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
