"""The package's rooms import one way, base -> cache -> compile -> run -> check -> api -> zoo
-> matrix -> bisect -> plugin, and only the plugin layer speaks pytest: read from the sources,
type-only imports included, so that a new import that goes back fails here before it tangles
the house."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "pytest_nuitka"
ORDER = {
    "__init__": 0,  # the version
    "emit": 0,  # what an app imports: nothing else of the package
    "base": 0,
    "cache": 1,
    "compile": 2,
    "run": 3,
    "check": 4,
    "api": 5,
    "zoo": 6,
    "matrix": 7,
    "bisect": 8,
    "plugin": 9,
}


def layer(module: str) -> str:
    return module.split(".")[0]


def imports(path: Path) -> list[str]:
    """pytest_nuitka modules (and pytest) that ``path`` imports, wherever the import is:
    at the top, in a function, or under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module == "pytest_nuitka":
            for alias in node.names:  # a module, or a name of the package's __init__
                module = PACKAGE / alias.name
                inside = module.is_dir() or module.with_suffix(".py").is_file()
                names.append(f"pytest_nuitka.{alias.name if inside else '__init__'}")
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


def modules() -> dict[str, Path]:
    return {
        ".".join(path.relative_to(PACKAGE).with_suffix("").parts): path
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.parent.name != "unfiltered"  # a sitecustomize for the apps' interpreter
    }


def backward(module: str, imported: str) -> bool:
    return ORDER[layer(imported)] > ORDER[layer(module)]


def test_every_module_is_in_a_layer() -> None:
    assert sorted({layer(m) for m in modules()} - set(ORDER)) == []


def test_no_module_imports_a_later_layer() -> None:
    found = [
        f"{module} imports {imported}"
        for module, path in modules().items()
        for imported in imports(path)
        if imported != "pytest" and backward(module, imported)
    ]
    assert found == []


def test_the_base_imports_nothing_else_of_the_package() -> None:
    found = [
        f"{module} imports {imported}"
        for module, path in modules().items()
        for imported in imports(path)
        if ORDER[layer(module)] == 0 and imported != "pytest" and ORDER[layer(imported)] != 0
    ]
    assert found == []


def resolve(imported: str, known: dict[str, Path]) -> str:
    """The module an imported name lives in (``check.compare.check_exit`` -> ``check.compare``)."""
    while imported not in known and "." in imported:
        imported = imported.rsplit(".", 1)[0]
    return imported


def test_the_import_graph_has_no_cycle() -> None:
    known = modules()
    graph = {
        module: {resolve(i, known) for i in imports(path) if i != "pytest"} & set(known)
        for module, path in known.items()
    }
    cycles = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for other in sorted(graph[module] - {module}):
            if state.get(other) == 1:
                cycles.append(" -> ".join([*path[path.index(other) :], other]))
            elif other not in state:
                visit(other, [*path, other])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_only_the_plugin_layer_imports_pytest() -> None:
    importing = {m for m, path in modules().items() if "pytest" in imports(path)}
    assert sorted(m for m in importing if layer(m) != "plugin") == []
    assert "plugin" in {layer(m) for m in importing}


@pytest.mark.parametrize(
    ("module", "imported", "expected"),
    [
        ("cache.local", "check.compare", True),
        ("run.runs", "zoo.manifest", True),
        ("check.compare", "plugin.fixture", True),
        ("compile.compilers", "base.process", False),
        ("compile.builder", "run.runs", True),
        ("check.compare", "run.runs", False),
        ("zoo.cases", "api.app", False),
        ("plugin.items", "zoo.cases", False),
        ("base.settings", "check.artifacts", True),
    ],
)
def test_the_rule_itself(module: str, imported: str, expected: bool) -> None:
    assert backward(module, imported) is expected
