"""Kept proofs: the same inputs find the proof again, other inputs do not, a bad file is dropped."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fedlend.services.proof_cache import load, proof_path, save
from tests.zk.conftest import *  # noqa: F403  (the real 64 x 4 circuit and its proofs)
from tests.zk.conftest import ZkRound
from zk.keys import CircuitKeys


def test_a_kept_proof_is_found_by_the_same_inputs_only(
    honest: ZkRound, other_data: ZkRound, zk_keys: CircuitKeys, tmp_path: Path
) -> None:
    path = proof_path(tmp_path, zk_keys, honest.data, honest.weights)
    assert load(path, zk_keys) is None
    save(path, honest.proof)
    assert load(path, zk_keys) == honest.proof
    assert path.stat().st_mode & 0o077 == 0  # private to the lender
    assert proof_path(tmp_path, zk_keys, honest.data, -honest.weights) != path
    assert proof_path(tmp_path, zk_keys, other_data.data, honest.weights) != path


@pytest.mark.parametrize(
    "damage",
    [
        lambda _raw: b"not json",
        lambda _raw: b"[]",
        lambda raw: raw.replace(b'"proof": "', b'"proof": "zz'),
        lambda raw: raw.replace(b'"instances": ["', b'"instances": ["-'),
        lambda raw: raw.replace(b'"instances": ["', b'"instances": ["9' + b"9" * 80),
        lambda raw: raw.replace(b'"proof": "', b'"proof": "00'),  # a proof that does not verify
        lambda raw: raw + b" " * (1 << 22),
    ],
    ids=["not-json", "not-object", "not-hex", "negative", "too-large-felt", "tampered", "huge"],
)
def test_a_bad_kept_proof_is_deleted_and_proven_again(
    honest: ZkRound, zk_keys: CircuitKeys, tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    path = proof_path(tmp_path, zk_keys, honest.data, honest.weights)
    save(path, honest.proof)
    path.write_bytes(damage(path.read_bytes()))
    assert load(path, zk_keys) is None
    assert not path.exists()
