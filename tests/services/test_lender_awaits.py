"""LenderService.awaits_evaluation: what the lender app's auto-evaluator asks before queueing."""

from __future__ import annotations

import os

from fedlend.types import Digest
from tests.market import Market, PostBounty


def test_an_open_model_awaits_evaluation_only_while_an_update_is_pending(
    market: Market, posted: PostBounty
) -> None:
    model = posted(target=0.80, bounty_wei=10**17, base="zero")
    lender = market.lender()
    assert not lender.awaits_evaluation(model.model_id)  # nothing submitted yet
    market.owner(3).node.client.submit_update(model.model_id, Digest(os.urandom(32)))
    assert lender.awaits_evaluation(model.model_id)
    lender.node.client.evaluate_update(
        lender.node.client.updates_of_model(model.model_id)[-1].update_id,
        score=model.initial_score,
        new_weights=model.weights_digest,
    )
    assert not lender.awaits_evaluation(model.model_id)  # judged: nothing left to do
