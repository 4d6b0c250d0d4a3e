"""A circuit's one-time setup runs in a child process: it reports while it runs and cancels."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedlend.errors import JobCancelledError
from tests.zk.conftest import CACHE
from zk.keys import FILES, circuit_keys
from zk.shape import CircuitShape
from zk.srs import SrsConfig

SHAPE = CircuitShape(rows=48, features=5, groups=((2, 3),))  # k 12, seconds to set up


def _fresh_cache(tmp_path: Path) -> Path:
    (CACHE / "srs").mkdir(parents=True, exist_ok=True)
    (tmp_path / "srs").symlink_to(CACHE / "srs")  # the SRS is shared; the keys are new
    return tmp_path


def test_setup_reports_its_elapsed_seconds_and_keeps_the_keys(tmp_path: Path) -> None:
    messages: list[tuple[float, str]] = []
    cache = _fresh_cache(tmp_path)
    keys = circuit_keys(SHAPE, SrsConfig(31337), cache, lambda f, m: messages.append((f, m)))
    assert all((keys.directory / name).is_file() for name in FILES)
    assert any("setting up the circuit (48 rows x 5, once)" in m for _, m in messages)
    assert any(m.endswith("s elapsed") for _, m in messages), messages
    assert [f for f, _ in messages] == sorted(f for f, _ in messages)
    again: list[str] = []
    circuit_keys(SHAPE, SrsConfig(31337), cache, lambda _f, m: again.append(m))
    assert again == ["circuit keys ready"]  # the cache answers: no second setup


def test_a_cancelled_setup_stops_and_leaves_nothing_behind(tmp_path: Path) -> None:
    def cancel(_fraction: float, message: str) -> None:
        if message.endswith("elapsed"):
            raise JobCancelledError("cancelled")

    cache = _fresh_cache(tmp_path)
    with pytest.raises(JobCancelledError):
        circuit_keys(SHAPE, SrsConfig(31337), cache, cancel)
    assert not list((cache / "circuits").glob("*/*"))  # no half-made key set
    assert not list((cache / "circuits").glob(".setup-*"))
