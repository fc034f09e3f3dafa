"""What a partial standalone build is told to carry, read from installed metadata only."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_nuitka.base.errors import NuitkaPluginError
from pytest_nuitka.compile.shipping import plan


@pytest.mark.real  # reads the installed torch: a framework, not the fast tier's
@pytest.mark.nuitka_requires("torch")
def test_torch_ships_with_its_requirements_metadata_and_stdlib_needs() -> None:
    shipment = plan(["torch"])
    names = {folder.name for folder in shipment.folders}
    assert "torch" in names and any(
        n.startswith("torch-") and n.endswith(".dist-info") for n in names
    )
    assert {"sympy", "networkx", "jinja2"} <= names  # torch's own requirements
    options = shipment.nuitka_options()
    assert options[0] == "--no-deployment-flag=excluded-module-usage"
    assert "--nofollow-import-to=torch" in options
    assert "--include-package=urllib" in options  # whole packages: urllib.request too
    assert "pickle" in shipment.stdlib
    assert not {"tkinter", "distutils", "winreg", "sys"} & set(shipment.stdlib)


def test_a_name_that_is_not_installed_is_a_clear_error() -> None:
    with pytest.raises(NuitkaPluginError, match="cannot ship 'no_such_package'"):
        plan(["no_such_package"])


def installed(site: Path, name: str, files: list[str]) -> None:
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "RECORD").write_text("".join(f"{f},,\n" for f in files))
    for file in files:
        (site / file).parent.mkdir(parents=True, exist_ok=True)
        (site / file).write_text("")


def test_a_module_beside_a_stub_folder_of_its_name_ships_as_the_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """simsimd's layout: type stubs in simsimd/, the code in simsimd.cpython-*.so. Shipping
    the folder and refusing the module left the dist an empty namespace package."""
    installed(tmp_path, "stubbed", ["stubbed/__init__.pyi", "stubbed/py.typed", "stubbed.so"])
    installed(tmp_path, "both", ["both/__init__.py", "both.py"])
    monkeypatch.syspath_prepend(str(tmp_path))
    shipment = plan(["stubbed", "both"])
    assert "stubbed" in shipment.modules
    assert tmp_path / "stubbed" not in shipment.folders
    assert "--nofollow-import-to=stubbed" not in shipment.nuitka_options()
    assert tmp_path / "both" in shipment.folders and "both" not in shipment.modules


def test_a_name_marked_optional_ships_only_when_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed(tmp_path, "exporter", ["exporter/__init__.py"])
    monkeypatch.syspath_prepend(str(tmp_path))
    shipment = plan(["exporter?", "no_such_package?"])
    assert shipment.folders == (tmp_path / "exporter",)
    with pytest.raises(NuitkaPluginError, match="cannot ship 'no_such_package'"):
        plan(["exporter", "no_such_package"])
