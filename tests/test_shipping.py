"""What a partial standalone build is told to carry, read from installed metadata only."""

from __future__ import annotations

import pytest

from pytest_nuitka.build.shipping import plan
from pytest_nuitka.errors import NuitkaPluginError


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
