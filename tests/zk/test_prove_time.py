"""The last proof time kept beside a circuit's keys, and the estimate the ticker shows."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from zk.keys import CircuitKeys
from zk.prove_time import TIME_FILE, estimate, record


def _keys_in(zk_keys: CircuitKeys, root: Path, name: str, logrows: int) -> CircuitKeys:
    directory = root / "circuits" / name
    directory.mkdir(parents=True)
    return replace(zk_keys, directory=directory, logrows=logrows)


@pytest.mark.usefixtures("honest")
def test_a_real_proof_keeps_its_time_beside_the_keys(zk_keys: CircuitKeys) -> None:
    seconds = estimate(zk_keys)  # the session's proofs (fixture `honest`) were timed
    assert seconds is not None
    assert 0 < seconds < 120
    assert (zk_keys.directory / TIME_FILE).is_file()


def test_the_estimate_is_the_circuits_last_time_else_another_scaled_by_rows(
    zk_keys: CircuitKeys, tmp_path: Path
) -> None:
    small = _keys_in(zk_keys, tmp_path, "small", 12)
    large = _keys_in(zk_keys, tmp_path, "large", 15)
    assert estimate(small) is None
    assert estimate(large) is None
    record(small, 3.0)
    assert estimate(small) == pytest.approx(3.0)
    assert estimate(large) == pytest.approx(24.0)  # 2^3 times the rows
    record(large, 20.0)
    assert estimate(large) == pytest.approx(20.0)


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[]",
        b'{"seconds": "3", "logrows": 12}',
        b'{"seconds": true, "logrows": 12}',
        b'{"seconds": -1, "logrows": 12}',
        b'{"seconds": 3, "logrows": 99}',
        b'{"seconds": 3}',
        b'{"seconds": 3, "logrows": 12, "pad": "' + b"x" * 5000 + b'"}',
    ],
)
def test_a_bad_time_file_gives_no_estimate(
    zk_keys: CircuitKeys, tmp_path: Path, raw: bytes
) -> None:
    keys = _keys_in(zk_keys, tmp_path, "bad", 12)
    (keys.directory / TIME_FILE).write_bytes(raw)
    assert estimate(keys) is None
