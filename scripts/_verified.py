"""Verified models for scripts/load_apps.py: one real EZKL proof, posted as many models as asked.

The circuit is the tests' (64 shipped loans x 4 features, scripts/bench_zk.py's inputs; keys
cached under build/zk-cache, so only the first run sets up); the SRS is the insecure local kind.
The proof's RoundVerifier is deployed beside the repository, every model proves its initial
score with that proof, and the first one also gets a proven round (a proven rejection).
"""

from __future__ import annotations

from pathlib import Path

from bench_zk import real_inputs

from fedlend.chain.accounts import dev_account
from fedlend.chain.terms import ModelTerms, ProofClaim
from fedlend.chain.zk_verifier import deploy_round_verifier
from fedlend.services.node import open_node
from fedlend.settings import ROOT, Settings
from fedlend.types import Digest
from zk.keys import circuit_keys
from zk.outputs import weights_digest
from zk.prover import commitment_points, prove
from zk.srs import SrsConfig

CACHE = Path(ROOT) / "build" / "zk-cache"
ROWS, FEATURES = 64, 4


def post_verified(settings: Settings, spec: Digest, count: int, deadline: int) -> list[int]:
    """`count` verified models (bounty 0.001 ETH each) with `spec`; their ids, oldest first."""
    inputs = real_inputs(ROWS, FEATURES)
    keys = circuit_keys(inputs.data.shape, SrsConfig(chain_id=31337), CACHE)
    proof = prove(inputs.data, inputs.weights, keys)
    points = len(commitment_points(inputs.data, inputs.weights, keys)) // 64
    lender = open_node(settings).client
    deployed = deploy_round_verifier(lender.w3, dev_account(0), keys, data_points=points)
    score, digest = proof.score(keys), Digest(weights_digest(proof.outputs(keys).weights))
    claim = ProofClaim(proof.data, tuple(proof.instances))
    ids = [
        lender.create_verified_model(
            ModelTerms(digest, spec, score, 10_000, deadline, bounty_wei=10**15),
            deployed.round_verifier,
            claim,
        ).value
        for _ in range(count)
    ]
    owner = open_node(settings.with_(dev_account=1)).client
    update = owner.submit_update(ids[0], Digest(bytes(31) + b"\1")).value
    lender.evaluate_verified_round(
        ids[0],
        [update],
        [0],
        score=score,
        new_weights=digest,
        claim=claim,
    )
    return ids
