"""Witness, commitment, proof and off-chain verification of one round's AUC."""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ezkl
import numpy as np

from fedlend_core.bounded_json import loads_bounded
from fedlend_core.errors import ProofError
from fedlend_core.progress import Progress, quiet, within
from zk import prove_time
from zk.child import run_ezkl
from zk.field import felt_from_hex, g1_point
from zk.fixed import ValidationSet, scores
from zk.keys import DECOMPOSITION_RANGE, CircuitKeys
from zk.layout import circuit_inputs
from zk.outputs import PublicOutputs, score_bps

MAX_PROOF_FILE = 1 << 20
PROVE_CHILD = "import sys, ezkl; ezkl.prove(*sys.argv[1:6])"  # argv: witness circuit pk proof srs
MAX_WITNESS_FILE = 1 << 28


@dataclass(frozen=True)
class Proof:
    """A proof as the contract takes it: the bytes and the public outputs (felts)."""

    data: bytes
    instances: tuple[int, ...]

    def outputs(self, keys: CircuitKeys) -> PublicOutputs:
        """The public outputs, parsed for the circuit of `keys`."""
        return PublicOutputs.from_instances(list(self.instances), keys.shape)

    def score(self, keys: CircuitKeys) -> int:
        """The score in bps the contract will recompute from this proof."""
        return score_bps(self.outputs(keys), keys.shape.rows)


def commitment_points(data: ValidationSet, weights: np.ndarray, keys: CircuitKeys) -> bytes:
    """The G1 points (64 bytes each) committing to X (its blocks' indices) and y, as they open
    every proof."""
    with tempfile.TemporaryDirectory() as tmp:
        witness = _witness(data, weights, keys, Path(tmp))
    commits = witness.get("processed_inputs", {}).get("polycommit")
    inputs = keys.shape.data_inputs
    if not isinstance(commits, list) or len(commits) < inputs:
        raise ProofError("EZKL returned no data commitment: check the SRS and verifying key")
    return b"".join(g1_point(point) for column in commits[:inputs] for point in column)


def commitment_digest(points: bytes) -> bytes:
    """sha256 of the commitment points: the value a verified model fixes on-chain."""
    return hashlib.sha256(points).digest()


def prove(
    data: ValidationSet, weights: np.ndarray, keys: CircuitKeys, progress: Progress = quiet
) -> Proof:
    """Prove the AUC of integer `weights` (bias last) on `data`; blocking, reports its stages."""
    if data.shape != keys.shape or weights.shape != (keys.shape.weight_count,):
        raise ProofError("the data or weights do not fit this circuit: rebuild the circuit keys")
    check_span(data, weights)
    with tempfile.TemporaryDirectory() as tmp:
        progress(0.05, "computing the witness")
        _witness(data, weights, keys, Path(tmp))
        stage = f"proving (2^{keys.logrows} rows)"
        progress(0.15, stage)
        proof_path = Path(tmp, "proof.json")
        started = time.monotonic()
        _ezkl_prove(Path(tmp), proof_path, keys, within(progress, 0.15, 0.95, stage))
        prove_time.record(keys, time.monotonic() - started)
        proof = read_proof(proof_path.read_bytes())
    progress(1.0, "proof ready")
    return proof


def _ezkl_prove(tmp: Path, proof_path: Path, keys: CircuitKeys, progress: Progress) -> None:
    """ezkl.prove in a child process (zk/child.py): minutes at full size, reported meanwhile."""
    args = [str(tmp / "witness.json"), keys.file("circuit.ezkl"), keys.file("pk.key")]
    args += [str(proof_path), str(keys.srs.path)]
    estimate = prove_time.estimate(keys)
    run_ezkl(PROVE_CHILD, args, progress, what="prove the round", estimate_s=estimate)
    if not proof_path.is_file():
        raise ProofError("EZKL could not prove the round: it wrote no proof; prove it again")


def check_span(data: ValidationSet, weights: np.ndarray) -> None:
    """Refuse weights whose scores the sorts' comparisons cannot order (no proof would exist)."""
    z = scores(data, weights)
    if int(z.max()) - int(z.min()) + 2 >= DECOMPOSITION_RANGE:
        raise ProofError(
            f"the scores X w + b span {int(z.max()) - int(z.min())}, more than the circuit's "
            f"comparisons cover ({DECOMPOSITION_RANGE - 2}): shrink the weights or the features"
        )


def read_proof(raw: bytes) -> Proof:
    """A Proof from EZKL's proof JSON (hostile: size-bounded, every field type-checked)."""
    doc = loads_bounded(raw, error=ProofError, what="a proof file", max_bytes=MAX_PROOF_FILE)
    hex_proof = doc.get("hex_proof") if isinstance(doc, dict) else None
    instances = doc.get("instances") if isinstance(doc, dict) else None
    if not isinstance(hex_proof, str) or not hex_proof.startswith("0x"):
        raise ProofError("a proof file has no hex_proof: regenerate it")
    if not isinstance(instances, list) or len(instances) != 1 or not isinstance(instances[0], list):
        raise ProofError("a proof file has no instances: regenerate it")
    try:
        data = bytes.fromhex(hex_proof[2:])
    except ValueError as exc:
        raise ProofError("a proof's hex_proof is not hex: regenerate it") from exc
    return Proof(data=data, instances=tuple(felt_from_hex(f) for f in instances[0]))


def verify(proof: Proof, keys: CircuitKeys) -> bool:
    """Verify off-chain with the circuit's verifying key (False: the proof does not hold)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "proof.json")
        path.write_text(json.dumps(_proof_json(proof)))
        try:
            return bool(
                ezkl.verify(
                    str(path),
                    keys.file("settings.json"),
                    keys.file("vk.key"),
                    str(keys.srs.path),
                    False,
                )
            )
        except RuntimeError:
            return False


def _proof_json(proof: Proof) -> dict[str, Any]:
    return {
        "protocol": None,
        "instances": [[i.to_bytes(32, "little").hex() for i in proof.instances]],
        "proof": list(proof.data),
        "hex_proof": "0x" + proof.data.hex(),
        "split": None,
        "pretty_public_inputs": None,
        "timestamp": None,
        "version": ezkl.__version__ if hasattr(ezkl, "__version__") else "23.0.5",
    }


def _witness(
    data: ValidationSet, weights: np.ndarray, keys: CircuitKeys, tmp: Path
) -> dict[str, Any]:
    inputs = {"input_data": [*circuit_inputs(data), weights[:-1].tolist(), [int(weights[-1])]]}
    (tmp / "input.json").write_text(json.dumps(inputs))
    out = tmp / "witness.json"
    try:
        ezkl.gen_witness(
            str(tmp / "input.json"),
            keys.file("circuit.ezkl"),
            str(out),
            keys.file("vk.key"),
            str(keys.srs.path),
        )
    except RuntimeError as exc:
        raise ProofError(f"EZKL could not compute the witness: {exc}") from exc
    raw = out.read_bytes()
    if len(raw) > MAX_WITNESS_FILE:
        raise ProofError("the witness is too large to read: use a smaller circuit")
    doc = json.loads(raw)
    if not isinstance(doc, dict):
        raise ProofError("EZKL wrote a witness that is not an object: rerun the proof")
    return doc
