"""Verified models through the services on a real Anvil with real EZKL proofs (64 loans x 4).

The lender posts a verified model (its initial score proven), an owner trains on the decoded
felt weights, the lender's evaluation proves each round (a paid one, a rejection) and a cancel
after the proof sends nothing. The circuit is the zk tests' shape, so its keys come from
build/zk-cache (setup runs once per machine).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
import pytest

from fedlend.errors import JobCancelledError
from fedlend.services.audit import audit_model
from fedlend.services.audit_bundle import export_bundle, parse_bundle
from fedlend.services.bounty_terms import BountyTerms
from fedlend.services.evaluation import evaluate_pending
from fedlend.services.lender import LenderService, PostedModel
from fedlend.services.verified import FEATURE_BITS, VERIFIED, WEIGHT_BITS, is_verified
from fedlend.services.verified_rounds import proven_rounds
from fedlend.services.zk_audit import audit_proofs
from fedlend.types import UpdateStatus
from fl.train import TrainConfig
from tests.market import LoanCsvs, Market
from tests.services.conftest import round_events
from zk.outputs import weights_blob

BOUNTY = 10**18
TARGET = 9_000


@pytest.fixture(scope="module")
def verified(
    zk_lender: LenderService, small_lender_csv: bytes, verified_terms: Callable[..., BountyTerms]
) -> PostedModel:
    """A verified model from a zero base (so its proven initial AUC is exactly 0.5)."""
    return zk_lender.post_bounty(small_lender_csv, verified_terms(target=TARGET))


def test_a_verified_model_is_posted_with_its_proven_initial_score(
    zk_lender: LenderService, verified: PostedModel
) -> None:
    node = zk_lender.node
    assert verified.initial_score == 5_000  # zero weights: every loan ties
    record = node.client.get_model(verified.model_id)
    assert record.best_score == verified.initial_score
    assert record.remaining_wei == BOUNTY
    facts = verified.verified
    assert facts is not None
    assert facts.insecure
    assert "INSECURE" in facts.srs_label
    verifier, _commitment = node.client.get_verification(verified.model_id) or ("", b"")
    assert verifier == facts.verifier
    spec = node.spec_of(record)
    assert is_verified(spec)
    assert (spec.metadata[FEATURE_BITS], spec.metadata[WEIGHT_BITS]) == ("4", "8")
    assert spec.metadata[VERIFIED] == "ezkl-auc-v2"
    blob = node.get(record.weights)
    assert blob == weights_blob([0] * (spec.n_inputs + 1))
    assert hashlib.sha256(blob).digest() == bytes(record.weights)
    loaded = node.weights_at(spec, record.weights)
    assert {k: tuple(v.shape) for k, v in loaded.items()} == {
        "linear.weight": (1, spec.n_inputs),
        "linear.bias": (1,),
    }
    assert all(not v.any() for v in loaded.values())


def test_an_owners_round_on_the_decoded_weights_is_proven_and_paid_in_wei(
    market: Market, zk_lender: LenderService, verified: PostedModel, loan_csvs: LoanCsvs
) -> None:
    owner = market.owner(1)
    sha = owner.add_dataset(loan_csvs["owner1"], name="owner1").sha256
    made = owner.contribute(verified.model_id, sha, TrainConfig(3.0, seed=11))
    owed = owner.owed()
    messages: list[str] = []
    [verdict] = evaluate_pending(
        zk_lender, verified.model_id, progress=lambda _f, m: messages.append(m)
    )
    assert verdict.update_id == made.update_id
    assert verdict.accepted
    assert verdict.prove_seconds is not None
    assert verdict.prove_seconds > 0
    for stage in ("computing the witness", "proving (2^", "verifying"):
        assert any(m.startswith("proving round 1: ") and stage in m for m in messages), stage
    client = zk_lender.node.client
    record = client.get_model(verified.model_id)
    assert record.best_score == verdict.score > verified.initial_score
    expected = BOUNTY * (verdict.score - verified.initial_score) // (TARGET - 5_000)
    assert verdict.reward_wei == expected == owner.owed() - owed
    assert record.remaining_wei == BOUNTY - expected
    [proven] = proven_rounds(client, verified.model_id)
    assert (proven.score, proven.new_weights) == (verdict.score, bytes(record.weights))
    spec = zk_lender.node.spec_of(record)
    new = zk_lender.node.weights_at(spec, record.weights)
    ints = new["linear.weight"].double().numpy() * 256  # the proven weights: whole 1/256ths
    assert np.array_equal(ints, np.rint(ints))
    assert ints.any()
    [check] = audit_proofs(client, verified.model_id, round_events(client, verified.model_id)) or []
    assert (check.proven, check.score) == (True, verdict.score)


def test_a_round_without_a_better_model_is_a_proven_rejection_and_a_cancel_sends_nothing(
    market: Market, zk_lender: LenderService, verified: PostedModel
) -> None:
    client = zk_lender.node.client
    owner = market.owner(2)
    junk = owner.node.put(b"not a sealed update")
    update_id = owner.node.client.submit_update(verified.model_id, junk).value
    before = client.get_model(verified.model_id)
    calls = iter(range(100))
    with pytest.raises(JobCancelledError, match="before anything was sent"):
        evaluate_pending(zk_lender, verified.model_id, cancel=lambda: next(calls) >= 3)
    assert client.update_status(update_id) is UpdateStatus.PENDING  # proven, never sent
    [verdict] = evaluate_pending(zk_lender, verified.model_id)
    assert not verdict.accepted
    assert verdict.reward_wei == 0
    assert verdict.reason.startswith("refused")
    assert verdict.score == before.best_score  # the current weights proven again
    after = client.get_model(verified.model_id)
    assert (after.best_score, after.remaining_wei, after.weights) == (
        before.best_score,
        before.remaining_wei,
        before.weights,
    )
    assert client.update_status(update_id) is UpdateStatus.REJECTED
    checks = audit_proofs(client, verified.model_id, round_events(client, verified.model_id))
    assert checks is not None
    assert [c.proven for c in checks] == [True] * len(checks)
    assert len(proven_rounds(client, verified.model_id)) == len(checks)


def test_the_bundle_audit_recomputes_every_proven_score_without_the_lenders_key(
    market: Market, zk_lender: LenderService, verified: PostedModel, small_lender_csv: bytes
) -> None:
    rounds = round_events(zk_lender.node.client, verified.model_id)
    assert rounds  # the paid round and the proven rejection above (when run in file order)
    _, bundle = parse_bundle(export_bundle(zk_lender, verified.model_id))
    report = audit_model(
        market.node(9), verified.model_id, bundle=bundle, validation_csv=small_lender_csv
    )
    assert report.ok, report.mismatches
    assert report.recomputed_rounds == len(rounds) == len(report.proven_rounds)
