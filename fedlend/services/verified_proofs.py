"""The lender's proofs: a verified model's circuit on its committed set, and proven weights.

`circuit_of` encodes the model's validation set (salted as fedlend/services/verified.py says)
and gets the circuit's keys (cached per circuit digest under Settings.zk_cache_dir; the SRS
from Settings.zk_srs, or on chain 31337 the INSECURE local one). `prove_weights` quantizes float
weights, proves their AUC and returns what the contract takes: the proof, the proven score
and the packed weights blob (its sha256 is the `weights`/`newWeights` digest).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from fedlend.errors import ProofError
from fedlend.services import catalog, proof_cache
from fedlend.services.lender import LenderService
from fedlend.services.verified import integer_weights, validation_set, weights_from_blob
from fedlend.types import BasisPoints, Digest
from fedlend_core.progress import Progress, quiet
from fl.models import Weights
from fl.spec import ModelSpec
from zk.fixed import ValidationSet
from zk.keys import CircuitKeys, circuit_keys
from zk.outputs import weights_blob
from zk.prover import Proof, commitment_points, prove
from zk.srs import SrsConfig


@dataclass(frozen=True)
class Circuit:
    """A verified model's committed validation set and its circuit's keys."""

    data: ValidationSet
    keys: CircuitKeys
    setup_seconds: float  # 0-ish when the keys came from the cache

    @property
    def srs_label(self) -> str:
        """What to tell the user about the SRS (INSECURE for the local one)."""
        return self.keys.srs.label

    def data_points(self, weights: Weights, spec: ModelSpec) -> int:
        """How many G1 points open each proof and commit to the data (the verifier needs it)."""
        points = commitment_points(self.data, integer_weights(spec, weights), self.keys)
        return len(points) // 64


@dataclass(frozen=True)
class Proven:
    """Weights proven on the committed set: what createVerifiedModel/evaluateVerifiedRound take."""

    proof: Proof
    score: BasisPoints
    blob: bytes  # zk.outputs.weights_blob of the proven integers
    weights: Weights  # the floats those integers stand for (what owners train on)
    seconds: float

    @property
    def digest(self) -> Digest:
        """sha256 of the blob: the on-chain weights digest (and the store's content digest)."""
        return Digest(hashlib.sha256(self.blob).digest())


def circuit_of(lender: LenderService, spec: ModelSpec, progress: Progress = quiet) -> Circuit:
    """The model's salted validation set and circuit keys (set up now if not cached)."""
    sha = spec.metadata.get(catalog.VALIDATION_SHA256, "")
    data = validation_set(spec, lender.validation(spec), lender.keypair.private, sha)
    settings = lender.node.settings
    started = time.monotonic()
    srs = SrsConfig(lender.node.chain_id, settings.zk_srs)
    keys = circuit_keys(data.shape, srs, settings.zk_cache_dir, progress)
    return Circuit(data, keys, time.monotonic() - started)


def prove_weights(
    circuit: Circuit,
    spec: ModelSpec,
    weights: Weights,
    progress: Progress = quiet,
    *,
    cache: Path | None = None,
) -> Proven:
    """Quantize `weights`, prove their AUC on the committed set; the proof checked before use.
    With `cache` (the lender's state) a proof of the same inputs is reused, a new one kept."""
    started = time.monotonic()
    ints = integer_weights(spec, weights)
    path = proof_cache.proof_path(cache, circuit.keys, circuit.data, ints) if cache else None
    proof = proof_cache.load(path, circuit.keys) if path else None
    if proof is not None:
        progress(1.0, "reusing the proof made for these weights before (nothing re-proven)")
    else:
        proof = prove(circuit.data, ints, circuit.keys, progress)
        if path is not None:
            proof_cache.save(path, proof)
    outputs = proof.outputs(circuit.keys)
    if list(outputs.weights) != ints.tolist():
        raise ProofError("the proof's public weights are not the weights proven: rerun the proof")
    blob = weights_blob(outputs.weights)
    return Proven(
        proof=proof,
        score=BasisPoints(proof.score(circuit.keys)),
        blob=blob,
        weights=weights_from_blob(blob, spec),
        seconds=time.monotonic() - started,
    )
