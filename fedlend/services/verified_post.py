"""Posting a verified model: commit the validation set, prove the base model's score, escrow.

After the spec and base weights are built as for any model (LenderService.post_bounty), the
committed set's circuit keys are set up (or read from the cache), the base weights are quantized
and proven (the proof kept in the lender's state: fedlend/services/proof_cache.py), then the
circuit's verifier is deployed once per (chain, repository, circuit), the packed weights blob is
stored as the model's weights and createVerifiedModel is sent with the PROVEN initial score.
In wallet mode the wallet is asked only after the proof: the two verifier deployments (the
first time a circuit is used on a chain) and createVerifiedModel. Nothing is sent before the
proof holds: a crash, a rejected signature or a reload before the send leaves at most cached
keys, a cached proof and a deployed verifier (all reused by a retry), never an escrow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fedlend.chain.terms import ProofClaim
from fedlend.errors import StorageError
from fedlend.services.bounty_terms import BountyTerms
from fedlend.services.lender import LenderService, PostedModel, check_target
from fedlend.services.verified_proofs import circuit_of, prove_weights
from fedlend.services.verifiers import round_verifier
from fedlend_core.progress import Progress, within
from fl.evaluate import score
from fl.models import Weights
from fl.spec import ModelSpec


@dataclass(frozen=True)
class VerifiedPosting:
    """How a verified model's initial score was proven."""

    verifier: str
    deploy_gas: int  # 0 when the circuit's verifier was already deployed
    setup_seconds: float
    prove_seconds: float
    srs_label: str
    insecure: bool


def post_verified(
    lender: LenderService,
    spec: ModelSpec,
    weights: Weights,
    terms: BountyTerms,
    *,
    progress: Progress,
    recheck: Callable[[], None],
) -> PostedModel:
    """Prove the base model's score on the committed set and send createVerifiedModel."""
    node = lender.node
    circuit = circuit_of(lender, spec, within(progress, 0.8, 0.86, "circuit"))
    proven = prove_weights(
        circuit,
        spec,
        weights,
        within(progress, 0.86, 0.95, "proving the base model's score"),
        cache=lender.state,
    )
    check_target(proven.score, terms.target_score)
    recheck()  # proving took a while: was this very posting mined meanwhile?
    verifier = round_verifier(  # after the proof: a wallet is asked nothing before it holds
        node,
        circuit.keys,
        lender.state,
        data_points=lambda: circuit.data_points(weights, spec),
        progress=within(progress, 0.95, 0.97, "verifier"),
    )
    progress(0.97, "storing the spec and proven weights, sending createVerifiedModel")
    spec_digest = node.put(spec.to_json())
    weights_digest = node.put(proven.blob)
    if weights_digest != proven.digest:
        raise StorageError("the store named the weights blob by another digest: check the store")
    validation = lender.validation(spec)
    metrics = score(spec, proven.weights, validation.X, validation.labels)
    model_terms = terms.model_terms(
        weights=weights_digest, spec=spec_digest, initial_score=proven.score
    )
    claim = ProofClaim(proven.proof.data, tuple(proven.proof.instances))
    sent = node.client.create_verified_model(model_terms, verifier.address, claim)
    progress(1.0, f"verified model #{sent.value} posted (initial score proven)")
    facts = VerifiedPosting(
        verifier=verifier.address,
        deploy_gas=verifier.deploy_gas,
        setup_seconds=circuit.setup_seconds,
        prove_seconds=proven.seconds,
        srs_label=circuit.srs_label,
        insecure=circuit.keys.srs.insecure,
    )
    return PostedModel(
        sent.value, proven.score, metrics, spec_digest, weights_digest, sent, verified=facts
    )
