"""What a test does when a tool it needs is missing: skip on a laptop, fail in CI."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """True when the CI variable is set (any non-empty value but 0/false)."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def missing(message: str) -> NoReturn:
    """Fail in CI (a missing tool must never turn the run green); skip elsewhere."""
    if in_ci():
        pytest.fail(f"{message} (CI is set: a missing tool fails the run instead of skipping)")
    pytest.skip(message)
