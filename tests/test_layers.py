"""The package's folders import one way, build -> run -> check -> app -> zoo, matrix -> plugin,
and only the plugin layer speaks pytest: read from the sources, so a new import that goes
back fails here before it tangles the house."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "pytest_nuitka"
BASE = {"errors", "settings", "emit", "__init__"}  # plain values anyone may use
ORDER = {
    "build": 0,
    "run": 1,
    "check": 2,
    "app": 3,
    "remedy": 3,
    "session": 3,
    "zoo": 4,
    "matrix": 4,
    "bisect": 5,
}
# Nuitka itself runs under the same supervision as the apps: no process outlives a build.
EXCEPTIONS = {("build", "run.process")}


def layer(module: str) -> str:
    return module.split(".")[0]


def imports(path: Path) -> list[str]:
    """pytest_nuitka modules (and pytest) that ``path`` imports at run time: imports under
    ``if TYPE_CHECKING:`` are for annotations only and are left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
        for inner in ast.walk(node)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            inner = node.module.removeprefix("pytest_nuitka").strip(".").replace(".", "/")
            package = node.module.startswith("pytest_nuitka") and (PACKAGE / inner).is_dir()
            names = [f"{node.module}.{a.name}" for a in node.names] if package else [node.module]
        for name in names:
            if name.split(".")[0] in ("pytest", "_pytest"):
                found.append("pytest")
            elif name.startswith("pytest_nuitka."):
                found.append(name.removeprefix("pytest_nuitka."))
    return found


def modules() -> list[tuple[str, Path]]:
    return [
        (".".join(path.relative_to(PACKAGE).with_suffix("").parts), path)
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.parent.name != "unfiltered"  # a sitecustomize for the apps' interpreter
    ]


def backward(module: str, imported: str) -> bool:
    here, there = layer(module), layer(imported)
    if here == "plugin" or there in BASE or there == here or here not in ORDER:
        return False
    if (here, imported) in EXCEPTIONS or there not in ORDER:
        return there == "plugin"
    return ORDER[there] > ORDER[here]


def test_no_folder_imports_a_later_stage() -> None:
    found = [
        f"{module} imports {imported}"
        for module, path in modules()
        for imported in imports(path)
        if imported != "pytest" and backward(module, imported)
    ]
    assert found == []


def test_only_the_plugin_layer_imports_pytest() -> None:
    found = [m for m, path in modules() if "pytest" in imports(path) and layer(m) != "plugin"]
    assert found == []
    assert "plugin" in {layer(m) for m, path in modules() if "pytest" in imports(path)}


@pytest.mark.parametrize(
    ("module", "imported", "expected"),
    [
        ("build.cache", "check.compare", True),
        ("run.runs", "zoo.manifest", True),
        ("check.compare", "plugin.fixture", True),
        ("build.compilers", "run.process", False),
        ("build.builder", "run.runs", True),
        ("check.compare", "run.runs", False),
        ("zoo.cases", "app", False),
        ("plugin.items", "zoo.cases", False),
        ("cachetool", "build.cache", False),
    ],
)
def test_the_rule_itself(module: str, imported: str, expected: bool) -> None:
    assert backward(module, imported) is expected
