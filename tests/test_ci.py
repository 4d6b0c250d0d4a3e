"""CI rules: a missing Chromium or IPFS skips on a laptop and fails in CI; no tests is a failure."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from tests.ci import in_ci, missing

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("value", ["true", "1", "yes", "TRUE"])
def test_missing_tool_fails_in_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    assert in_ci()
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        missing("chromium is missing")


@pytest.mark.parametrize("value", [None, "", "0", "false"])
def test_missing_tool_skips_outside_ci(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    assert not in_ci()
    with pytest.raises(pytest.skip.Exception, match="chromium is missing"):
        missing("chromium is missing")


def _run_tests_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_tests", ROOT / "scripts" / "run_tests.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("argv", "parallel"),
    [([], True), (["-m", "not browser"], True), (["-n", "0"], False), (["-p", "no:xdist"], False)],
)
def test_the_suite_runs_in_parallel_unless_the_caller_chose(
    argv: list[str], parallel: bool
) -> None:
    command = _run_tests_module().pytest_command(argv)
    assert ("--dist" in command) is parallel
    assert command[len(command) - len(argv) :] == argv


def test_no_tests_collected_is_a_failure_not_a_pass() -> None:
    run = _run_tests_module().run_pytest
    assert run(["tests/test_ci.py", "-k", "no_such_test_anywhere", "-p", "no:xdist", "-q"]) == 1
