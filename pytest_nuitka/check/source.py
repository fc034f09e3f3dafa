"""What the app's source imports and calls, read with ``ast``: evidence a diagnosis can rest
on without the app's help (most apps never import ``pytest_nuitka.emit``)."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

MOST_FILES = 200  # a script's folder may be a whole project: read no more than this


def _names(path: Path) -> tuple[tuple[str, int, bool], ...]:
    try:
        return _parsed(path.read_bytes())
    except OSError:
        return ()


@functools.lru_cache(maxsize=256)
def _parsed(source: bytes) -> tuple[tuple[str, int, bool], ...]:
    """Every dotted name the source imports (``from a.b import c`` gives ``a.b`` and
    ``a.b.c``) or uses as an attribute chain (``torch.jit.trace``), with its line and whether
    it is an import (keyed by content: a file edited between two checks is read again)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return ()
    found: list[tuple[str, int, bool]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno, True) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.module, node.lineno, True))
            found += [(f"{node.module}.{a.name}", node.lineno, True) for a in node.names]
        elif isinstance(node, ast.Attribute):
            parts: list[str] = []
            inner: ast.expr = node
            while isinstance(inner, ast.Attribute):
                parts.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name):
                found.append((".".join([inner.id, *reversed(parts)]), node.lineno, False))
    return tuple(found)


def app_files(script: Path) -> list[Path]:
    """The script, then the modules beside it (an app's own code is often there)."""
    try:
        beside = sorted(p for p in script.parent.glob("*.py") if p != script)
    except OSError:
        beside = []
    return [script, *beside][:MOST_FILES]


def mentions(script: Path, prefix: str, imports_only: bool = False) -> tuple[str, str] | None:
    """Where the app's source imports (or, unless ``imports_only``, uses) ``prefix`` or a
    name under it: (``file:line``, the name); None where it does not."""
    for path in app_files(script):
        for name, line, imported in _names(path):
            if (imported or not imports_only) and (name == prefix or name.startswith(prefix + ".")):
                return f"{path.name}:{line}", name
    return None
