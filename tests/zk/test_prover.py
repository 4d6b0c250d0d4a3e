"""The circuit off-chain: exact rank sums, the score as the contract computes it, verification."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from fedlend.errors import JobCancelledError, ProofError
from tests.zk.conftest import CACHE, ZkRound
from zk.fixed import (
    FixedPoint,
    ValidationSet,
    decode_weights,
    encode_set,
    encode_weights,
    scores,
)
from zk.keys import CircuitKeys, circuit_keys
from zk.outputs import PublicOutputs, parse_weights_blob, rank_sums, score_bps, weights_blob
from zk.prover import prove, read_proof, verify
from zk.shape import CircuitShape
from zk.srs import SrsConfig, resolve_srs


def _exact_auc(z: np.ndarray, y: np.ndarray) -> Fraction:
    pos, neg = z[y == 1], z[y == 0]
    wins = (pos[:, None] > neg[None, :]).sum() * 2 + (pos[:, None] == neg[None, :]).sum()
    return Fraction(int(wins), 2 * len(pos) * len(neg))


def test_the_proof_outputs_the_exact_rank_sums_and_weights(
    honest: ZkRound, zk_keys: CircuitKeys
) -> None:
    outputs = honest.proof.outputs(zk_keys)
    z = scores(honest.data, honest.weights)
    r_up, r_lo, positives = rank_sums(z, honest.data.y)
    assert (outputs.rank_sum, outputs.positives) == (r_up + r_lo, positives)
    assert outputs.weights == tuple(int(w) for w in honest.weights)
    expected = _exact_auc(z, honest.data.y) * 10_000
    assert honest.proof.score(zk_keys) == expected.numerator // expected.denominator


def test_ties_count_one_half() -> None:
    z, y = np.array([1, 1, 2, 3]), np.array([1, 0, 0, 1])
    r_up, r_lo, positives = rank_sums(z, y)
    outputs = PublicOutputs((0,), r_up + r_lo, positives)
    assert score_bps(outputs, rows=4) == 6_250  # 1 ties 1 (1/2), 1 loses to 2, 3 beats both: 2.5/4


def test_the_commitment_opens_every_proof_and_differs_for_other_data(
    honest: ZkRound, other_data: ZkRound
) -> None:
    assert honest.proof.data.startswith(honest.points)
    assert other_data.proof.data.startswith(other_data.points)
    assert honest.commitment != other_data.commitment


def test_an_honest_proof_verifies_off_chain(honest: ZkRound, zk_keys: CircuitKeys) -> None:
    assert verify(honest.proof, zk_keys)


@pytest.mark.parametrize("what", ["proof byte", "rank sum", "weight"])
def test_a_tampered_proof_does_not_verify(honest: ZkRound, zk_keys: CircuitKeys, what: str) -> None:
    proof, instances = bytearray(honest.proof.data), list(honest.proof.instances)
    if what == "proof byte":
        proof[len(proof) // 3] ^= 1
    elif what == "rank sum":
        instances[zk_keys.shape.word_count] += 1
    else:
        instances[0] += 1
    forged = replace(honest.proof, data=bytes(proof), instances=tuple(instances))
    assert not verify(forged, zk_keys)


def test_the_weights_blob_round_trips(honest: ZkRound, zk_keys: CircuitKeys) -> None:
    weights = honest.proof.outputs(zk_keys).weights
    assert parse_weights_blob(weights_blob(weights), zk_keys.shape) == weights
    w, b = decode_weights(np.array(weights), FixedPoint())
    assert encode_weights(w, b, FixedPoint()).tolist() == list(weights)


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100,
        b'{"hex_proof": "0xzz", "instances": [[]]}',
        b'{"hex_proof": "0x00", "instances": [["00"]]}',
        b'{"hex_proof": "0x00", "instances": [["' + b"f" * 64 + b'"]]}',
        b'{"instances": [[]]}',
        b" " * (1 << 21),
    ],
    ids=["deep", "bad hex", "short felt", "felt above modulus", "no proof", "too big"],
)
def test_a_hostile_proof_file_is_refused(raw: bytes) -> None:
    with pytest.raises(ProofError):
        read_proof(raw)


@pytest.mark.parametrize(
    ("outputs", "rows"),
    [
        (PublicOutputs((0,), 6, 0), 4),  # no defaults
        (PublicOutputs((0,), 20, 4), 4),  # all defaults
        (PublicOutputs((0,), 2, 2), 4),  # below the least rank sum
        (PublicOutputs((0,), 2**200, 2), 4),  # a field element, not a rank sum
    ],
)
def test_impossible_outputs_are_refused(outputs: PublicOutputs, rows: int) -> None:
    with pytest.raises(ProofError):
        score_bps(outputs, rows)


def test_a_real_chain_needs_a_ceremony_srs(tmp_path: Path) -> None:
    with pytest.raises(ProofError, match="ceremony SRS"):
        resolve_srs(SrsConfig(chain_id=1), 10, tmp_path)
    with pytest.raises(ProofError, match="no SRS file"):
        resolve_srs(SrsConfig(chain_id=1, path=tmp_path / "missing.srs"), 10, tmp_path)


def test_the_local_srs_says_it_is_insecure(zk_keys: CircuitKeys) -> None:
    assert zk_keys.srs.insecure
    assert "INSECURE" in zk_keys.srs.label


@pytest.mark.parametrize(
    ("rows", "features"), [(1, 4), (64, 0), (1 << 17, 4)], ids=["one row", "no features", "huge"]
)
def test_a_bad_circuit_shape_is_refused(rows: int, features: int) -> None:
    with pytest.raises(ProofError):
        CircuitShape(rows=rows, features=features)


def test_the_circuit_counts_a_default_only_where_the_label_is_1(
    zk_sets: tuple[ValidationSet, ValidationSet], zk_weights: np.ndarray, zk_keys: CircuitKeys
) -> None:
    data = zk_sets[0]
    odd = data.y.copy()
    odd[np.flatnonzero(data.y == 0)[:3]] = [2, -1, 7]  # committed, yet not defaults
    proof = prove(replace(data, y=odd), zk_weights, zk_keys)
    z = scores(data, zk_weights)
    r_up, r_lo, positives = rank_sums(z, data.y)
    assert (proof.outputs(zk_keys).rank_sum, proof.outputs(zk_keys).positives) == (
        r_up + r_lo,
        positives,
    )


def test_weights_whose_scores_the_sorts_cannot_order_are_refused_before_proving(
    zk_sets: tuple[ValidationSet, ValidationSet], zk_keys: CircuitKeys
) -> None:
    weights = np.full(zk_keys.shape.weight_count, (1 << 24) - 1, dtype=np.int64)
    with pytest.raises(ProofError, match="span"):
        prove(zk_sets[0], weights, zk_keys)


def test_labels_other_than_0_and_1_are_refused() -> None:
    with pytest.raises(ProofError, match="0 or 1"):
        encode_set(np.zeros((3, 2)), np.array([0, 1, 2]), FixedPoint())


def test_settings_record_the_integer_circuit(zk_keys: CircuitKeys) -> None:
    settings = json.loads(Path(zk_keys.file("settings.json")).read_text())
    assert settings["run_args"]["input_visibility"] == "KZGCommit"
    assert settings["model_output_scales"] == [0] * 3  # the weight words, R, P


def test_a_real_proof_reports_its_elapsed_seconds_while_ezkl_runs(
    honest: ZkRound, zk_keys: CircuitKeys
) -> None:
    seen: list[tuple[str, str]] = []
    proof = prove(
        honest.data,
        honest.weights,
        zk_keys,
        lambda _f, m: seen.append((m, threading.current_thread().name)),
    )
    assert proof == honest.proof or verify(proof, zk_keys)
    ticks = [m for m, thread in seen if thread == "progress-ticker"]
    assert ticks, seen  # the proof runs in a child process: the ticker is not starved of the GIL
    assert all(re.fullmatch(r"proving \(2\^\d+ rows\): \d+ s elapsed.*", m) for m in ticks)
    assert seen[-1] == ("proof ready", threading.current_thread().name)  # ticks stop before it


def test_a_cancel_during_the_proof_kills_it_at_once(honest: ZkRound, zk_keys: CircuitKeys) -> None:
    ticks: list[str] = []
    began: list[float] = []

    def cancel_at_first_tick(_fraction: float, message: str) -> None:
        if message.startswith("proving (2^") and not began:
            began.append(time.monotonic())
        if "elapsed" in message:
            ticks.append(message)
            raise JobCancelledError("the job was cancelled")

    with pytest.raises(JobCancelledError):
        prove(honest.data, honest.weights, zk_keys, cancel_at_first_tick)
    assert len(ticks) == 1  # the ticker stopped; the child proof was killed, none left running
    assert time.monotonic() - began[0] < 3  # a whole proof takes longer here (prove_seconds.json)
    assert not _proving_children()


def _proving_children() -> list[str]:
    """The command lines of this process's children that run a proof (zk.prover.PROVE_CHILD)."""
    found = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                line = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            except FileNotFoundError:  # ended meanwhile
                continue
            if "ezkl.prove" in line:
                found.append(line)
    return found


def test_a_weight_outside_the_packing_range_gets_no_score(
    zk_sets: tuple[ValidationSet, ValidationSet], zk_weights: np.ndarray, zk_keys: CircuitKeys
) -> None:
    weights = zk_weights.copy()
    weights[-1] = (1 << 24) + 5  # a bias whose leg would carry into the next weight's
    proof = prove(zk_sets[0], weights, zk_keys)
    assert proof.instances[-1] >= 1 << 40  # P moved past any row count: RoundVerifier refuses
    with pytest.raises(ProofError, match=r"not a rank sum|non-zero"):  # its carry lands somewhere
        proof.score(zk_keys)


def test_weights_that_fill_their_last_word_exactly_prove_unpadded(
    zk_sets: tuple[ValidationSet, ValidationSet], zk_weights: np.ndarray
) -> None:
    data = zk_sets[0]
    numeric = ValidationSet(x=np.hstack([data.x[:, :4], data.x[:, -1:]]), y=data.y)  # 5 weights
    keys = circuit_keys(numeric.shape, SrsConfig(chain_id=31337), CACHE)
    weights = np.append(zk_weights[:4], zk_weights[-1])
    outputs = prove(numeric, weights, keys).outputs(keys)
    assert keys.shape.word_count == 1
    assert outputs.weights == tuple(weights.tolist())
    r_up, r_lo, positives = rank_sums(scores(numeric, weights), numeric.y)
    assert (outputs.rank_sum, outputs.positives) == (r_up + r_lo, positives)
