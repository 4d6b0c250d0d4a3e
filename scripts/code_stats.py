"""Print module and function size medians and maxima (in lines) for production code and tests."""

from __future__ import annotations

import argparse
import ast
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GROUPS = {
    "production": ("fedlend", "fedlend_core", "fl", "lender_app", "owner_app", "scripts"),
    "tests": ("tests",),
}
LONG_SIGNATURE = 7  # parameters; more wants a config object (issue 12)


@dataclass(frozen=True)
class Sized:
    """One measured thing: where it is and how many lines it spans."""

    name: str
    lines: int


def python_files(root: Path, folders: tuple[str, ...]) -> list[Path]:
    """Every .py file under the given top-level folders of `root`, sorted."""
    return sorted(path for folder in folders for path in (root / folder).rglob("*.py"))


def functions(path: Path, root: Path) -> list[Sized]:
    """Every function and method in `path` with its span in lines (decorators excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    relative = path.relative_to(root)
    return [
        Sized(
            f"{relative}:{node.lineno} {node.name}",
            (node.end_lineno or node.lineno) - node.lineno + 1,
        )
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


def long_signatures(path: Path, root: Path) -> list[Sized]:
    """Functions in `path` taking more than LONG_SIGNATURE parameters (self and cls not counted);
    `lines` is the parameter count."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    relative = path.relative_to(root)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            named = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
            count = len([n for n in named if n not in ("self", "cls")])
            if count > LONG_SIGNATURE:
                found.append(Sized(f"{relative}:{node.lineno} {node.name}", count))
    return sorted(found, key=lambda item: -item.lines)


def summary(label: str, items: list[Sized]) -> str:
    """'label: n=.. median=.. max=.. (name)' for a list of sized things."""
    if not items:
        return f"{label}: none"
    largest = max(items, key=lambda item: item.lines)
    median = statistics.median(item.lines for item in items)
    return f"{label}: n={len(items)} median={median:g} max={largest.lines} ({largest.name})"


def report(root: Path) -> list[str]:
    """The summary lines for each group of folders."""
    lines = []
    for group, folders in GROUPS.items():
        files = [path for path in python_files(root, folders) if path.stat().st_size > 0]
        modules = [
            Sized(str(path.relative_to(root)), len(path.read_text(encoding="utf-8").splitlines()))
            for path in files
        ]
        funcs = [sized for path in files for sized in functions(path, root)]
        lines.append(summary(f"{group} modules (lines)", modules))
        lines.append(summary(f"{group} functions (lines)", funcs))
    production = [
        sized
        for path in python_files(root, GROUPS["production"])
        for sized in long_signatures(path, root)
    ]
    named = ", ".join(f"{s.name} ({s.lines})" for s in production)
    lines.append(
        f"production functions with more than {LONG_SIGNATURE} parameters: "
        f"n={len(production)}" + (f": {named}" if named else "")
    )
    return lines


def main(argv: list[str]) -> int:
    """Print the report for the tree at --root (default: this checkout)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to measure")
    args = parser.parse_args(argv)
    for line in report(args.root.resolve()):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
