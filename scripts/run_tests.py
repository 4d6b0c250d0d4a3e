"""Run the test suite: ruff (lint + format) and mypy first, then pytest; no tests is a failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST_NO_TESTS = 5
LINTERS = (("ruff", "check", "."), ("ruff", "format", "--check", "."), ("mypy",))
# every core, one test file per worker (module fixtures such as a browser or an app stay per file);
# a caller's own -n / -p no:xdist wins
PARALLEL = ("-n", "auto", "--maxprocesses", "4", "--dist", "loadfile")
LINT_HINTS = {
    "ruff": "run `make format` or fix them by hand",
    "mypy": "fix the type errors it lists (the config is [tool.mypy] in pyproject.toml)",
}


def pytest_command(argv: list[str]) -> list[str]:
    """The pytest command line: in parallel unless the caller chose -n or -p no:xdist."""
    chosen = any(a.startswith(("-n", "--numprocesses")) or a.endswith("no:xdist") for a in argv)
    parallel: tuple[str, ...] = () if chosen else PARALLEL
    return [sys.executable, "-m", "pytest", *parallel, *argv]


def run_pytest(argv: list[str]) -> int:
    """Run pytest; "collected no tests" (exit 5) is turned into a failure (1)."""
    code = subprocess.run(pytest_command(argv), cwd=ROOT, check=False).returncode
    if code == PYTEST_NO_TESTS:
        print("pytest collected no tests: that is a failure, not a pass", file=sys.stderr)
        return 1
    return code


def main(argv: list[str]) -> int:
    """Lint and type-check, then run pytest with the given extra arguments; return the exit code."""
    venv_bin = Path(sys.executable).parent
    for tool, *args in LINTERS:
        lint = subprocess.run([str(venv_bin / tool), *args], cwd=ROOT, check=False)
        if lint.returncode != 0:
            print(f"{tool} found problems: {LINT_HINTS[tool]}", file=sys.stderr)
            return lint.returncode
    return run_pytest(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
