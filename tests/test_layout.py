"""Layering rules, checked on every import statement (parsed with ast, lazy imports included).

From the top: app.py (and bench/, tests/) > schema/, demo/ > resolvers/ > core/ > models/, geo/, media/
> settings.py. A layer imports only layers below it:
- core/ (shared plumbing) imports no domain: nothing from resolvers/, schema/, demo/ or app;
- models/, geo/, media/ import none of core/, resolvers/, schema/, demo/, app (core wires them
  together: its Context holds the storage and geo index, so it sits above them);
- resolvers/ never imports schema/, demo/ or app; schema/ never imports demo/ or app;
  demo/ (seeding) may use resolvers/ but not schema/ or app.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "core": {"resolvers", "schema", "demo", "app"},
    "models": {"core", "resolvers", "schema", "demo", "app"},
    "geo": {"core", "resolvers", "schema", "demo", "app"},
    "media": {"core", "resolvers", "schema", "demo", "app"},
    "settings.py": {"core", "resolvers", "schema", "demo", "app", "models", "geo", "media"},
    "resolvers": {"schema", "demo", "app"},
    "schema": {"demo", "app"},
    "demo": {"schema", "app"},
}


def imported_packages(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def violations() -> list[str]:
    found = []
    for layer, forbidden in FORBIDDEN.items():
        target = ROOT / layer
        files = [target] if target.is_file() else sorted(target.rglob("*.py"))
        for path in files:
            if "migrations" in path.parts:
                continue
            for package in sorted(imported_packages(path) & forbidden):
                found.append(f"{path.relative_to(ROOT)} imports {package}")
    return found


def test_no_module_imports_a_layer_above_it() -> None:
    assert violations() == []


def test_domain_packages_do_not_re_export() -> None:
    """Callers import the module they use: a package's __init__ holds a docstring, no imports."""
    for init in sorted((ROOT / "resolvers").glob("*/__init__.py")):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        assert not [n for n in tree.body if not isinstance(n, ast.Expr)], f"{init} re-exports"


def test_the_layers_exist() -> None:
    """The test would pass vacuously on a tree without the packages it guards."""
    for layer in ("core", "resolvers", "schema", "demo", "models", "geo", "media"):
        assert (ROOT / layer / "__init__.py").exists(), layer
