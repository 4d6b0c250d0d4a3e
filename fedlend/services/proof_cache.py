"""Proofs kept in the lender's private state: a retry with unchanged inputs does not re-prove.

A proof is named by sha256 of its circuit (the key directory's digest), the salted validation set
and the integer weights: the same inputs give the same name, other inputs another one. A wallet
that rejected the transaction, a page reload or a crash after the proof therefore costs no
second proof. The file is read back as hostile (size-bounded, type-checked, verified off-chain
with the circuit's verifying key); a bad one is deleted and the proof is made again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from fedlend.errors import ProofError
from fedlend.private_files import replace_bytes
from fedlend_core.bounded_json import loads_bounded
from zk.fixed import ValidationSet
from zk.keys import CircuitKeys
from zk.prover import Proof, verify

DIRECTORY = "proofs"
MAX_CACHED_PROOF = 1 << 22
MAX_FELT = 1 << 256


def proof_path(state: Path, keys: CircuitKeys, data: ValidationSet, ints: np.ndarray) -> Path:
    """Where the proof of `ints` on `data` with the circuit of `keys` is kept."""
    name = hashlib.sha256()
    for part in (keys.directory.name.encode(), data.x.tobytes(), data.y.tobytes()):
        name.update(len(part).to_bytes(8, "big") + part)
    name.update(np.asarray(ints, dtype=np.int64).tobytes())
    return state / DIRECTORY / f"{name.hexdigest()}.json"


def load(path: Path, keys: CircuitKeys) -> Proof | None:
    """The cached proof, if there is one that still verifies (a bad file is deleted)."""
    if not path.is_file():
        return None
    try:
        proof = _parse(path)
    except (OSError, ProofError):
        proof = None
    if proof is None or not verify(proof, keys):
        path.unlink(missing_ok=True)
        return None
    return proof


def save(path: Path, proof: Proof) -> None:
    """Keep `proof` (written aside, then moved in: a crash leaves no half file)."""
    doc = {"proof": proof.data.hex(), "instances": [str(i) for i in proof.instances]}
    replace_bytes(path, json.dumps(doc).encode())


def _parse(path: Path) -> Proof | None:
    with path.open("rb") as source:
        raw = source.read(MAX_CACHED_PROOF + 1)
    doc = loads_bounded(raw, error=ProofError, what=str(path), max_bytes=MAX_CACHED_PROOF)
    if not isinstance(doc, dict):
        return None
    data, instances = doc.get("proof"), doc.get("instances")
    if not isinstance(data, str) or not isinstance(instances, list):
        return None
    if not all(isinstance(i, str) and i.isdigit() and len(i) <= 78 for i in instances):
        return None
    felts = tuple(int(i) for i in instances)
    if any(felt >= MAX_FELT for felt in felts):
        return None
    try:
        return Proof(bytes.fromhex(data), felts)
    except ValueError:
        return None
