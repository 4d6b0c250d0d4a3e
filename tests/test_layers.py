"""The dependency runs one way: fedlend -> fl -> fedlend_core; fl and the core import no fedlend."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "fl": {"fedlend", "lender_app", "owner_app", "web3", "flask"},
    "fedlend_core": {"fedlend", "fl", "lender_app", "owner_app"},
    "zk": {"fedlend", "fl", "desk", "signals", "lender_app", "owner_app", "web3", "flask", "torch"},
}


def imported_roots(path: Path) -> set[str]:
    """The top-level package of every module `path` imports (absolute imports only)."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_nothing_above_it(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no modules found in {package}/"
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN[package])
        for path in files
    }
    assert {name: bad for name, bad in wrong.items() if bad} == {}


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom fedlend.errors import DataError\nfrom . import sibling\n")
    assert imported_roots(module) == {"os", "fedlend"}
