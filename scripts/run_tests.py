"""Run the test suite: ruff (lint + format) and mypy first, then pytest; no tests is a failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST_NO_TESTS = 5
LINTERS = (("ruff", "check", "."), ("ruff", "format", "--check", "."), ("mypy",))
LINT_HINTS = {
    "ruff": "run `make format` or fix them by hand",
    "mypy": "fix the type errors it lists (the config is [tool.mypy] in pyproject.toml)",
}


def main(argv: list[str]) -> int:
    """Lint and type-check, then run pytest with the given extra arguments; return the exit code."""
    venv_bin = Path(sys.executable).parent
    for tool, *args in LINTERS:
        lint = subprocess.run([str(venv_bin / tool), *args], cwd=ROOT, check=False)
        if lint.returncode != 0:
            print(f"{tool} found problems: {LINT_HINTS[tool]}", file=sys.stderr)
            return lint.returncode
    code = subprocess.run([sys.executable, "-m", "pytest", *argv], cwd=ROOT, check=False).returncode
    if code == PYTEST_NO_TESTS:
        print("pytest collected no tests: that is a failure, not a pass", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
