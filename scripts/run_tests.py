"""Run the whole test suite: ruff (lint + format) first, then pytest; no tests is a failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST_NO_TESTS = 5


def main(argv: list[str]) -> int:
    """Lint, then run pytest with the given extra arguments; return the exit code."""
    venv_bin = Path(sys.executable).parent
    for check in (["check", "."], ["format", "--check", "."]):
        lint = subprocess.run([str(venv_bin / "ruff"), *check], cwd=ROOT, check=False)
        if lint.returncode != 0:
            print("ruff found problems: run `make format` or fix them by hand", file=sys.stderr)
            return lint.returncode
    code = subprocess.run([sys.executable, "-m", "pytest", *argv], cwd=ROOT, check=False).returncode
    if code == PYTEST_NO_TESTS:
        print("pytest collected no tests: that is a failure, not a pass", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
