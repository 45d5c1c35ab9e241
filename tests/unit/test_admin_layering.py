"""Where the administrative code lives: its rules and writes in the layer, which holds no
Scan, and which no function imports at start; the admin CLI only parses, calls and
prints. Read from the sources (import statements, calls)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

from local.template import ROOT, functions
from tests.unit.test_interface_imports import imported

LAYER = ROOT / "layers" / "loyalty_core"
ADMIN = ROOT / "local" / "admin"
# The administrative modules of the layer: the admin CLI's, never a function's.
ADMINISTRATIVE = {
    "loyalty_core.models.credentials",
    "loyalty_core.models.erasure",
    "loyalty_core.services.directory",
    "loyalty_core.services.erasure",
    "loyalty_core.repository.directory",
}
# What the CLI may not touch of the storage: item shapes, keys, expressions, attribute values.
STORAGE_DETAIL = {
    "loyalty_core.repository.items",
    "loyalty_core.repository.keys",
    "loyalty_core.repository.guards",
    "loyalty_core.repository.codec",
}


def module_file(name: str) -> Path | None:
    """The source of a layer module (or package), None for anything else."""
    if not name.startswith("loyalty_core"):
        return None
    base = LAYER.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


@cache  # each module's, read once for every function's walk
def runtime_imports(source: str, module: str) -> frozenset[str]:
    """What `module` may import when it runs: every import statement, in functions too,
    but those under `if TYPE_CHECKING:` (annotations only)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = [ast.Pass()]
    return frozenset(imported(ast.unparse(tree), module))


def layer_imports(start: Path, module: str) -> set[str]:
    """Every layer module `start` may import, directly or through other layer modules
    (each package's `__init__` with its modules)."""
    seen: set[str] = set()
    pending = [(start, module)]
    while pending:
        path, name = pending.pop()
        found_here = runtime_imports(path.read_text("utf-8"), name)
        packages = {
            ".".join(n.split(".")[:i]) for n in found_here for i in range(1, n.count(".") + 1)
        }
        for found in found_here | packages:
            source = module_file(found)
            if source is not None and found not in seen:
                seen.add(found)
                pending.append((source, found))
    return seen


def layer_modules() -> list[Path]:
    return sorted((LAYER / "loyalty_core").rglob("*.py"))


@pytest.mark.parametrize("function", sorted(functions()))
def test_no_function_imports_the_administrative_modules(function: str) -> None:
    handler = ROOT / functions()[function]["CodeUri"] / "handler.py"
    reached = layer_imports(handler, "handler")
    assert "loyalty_core.repository.dynamodb" in reached or function == "ApiDocsFunction"
    assert not reached & ADMINISTRATIVE


def test_the_layer_holds_no_scan() -> None:
    scans = []
    for path in layer_modules():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            called = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            if called and node.func.attr in ("scan", "parallel_scan"):  # type: ignore[union-attr]
                scans.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Constant) and node.value in ("scan", "Scan"):
                scans.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert scans == []


def test_the_admin_cli_holds_no_item_shape_expression_or_retry() -> None:
    for path in sorted(ADMIN.glob("*.py")):
        source = path.read_text("utf-8")
        names = imported(source, f"local.admin.{path.stem}")
        assert not names & STORAGE_DETAIL, path.name
        assert "Expression" not in source, path.name
        for node in ast.walk(ast.parse(source)):
            assert not isinstance(node, ast.For | ast.While) or not any(
                isinstance(inner, ast.Try) for inner in ast.walk(node)
            ), f"{path.name}:{node.lineno}: a retry loop"
