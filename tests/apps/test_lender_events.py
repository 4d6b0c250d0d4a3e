"""The lender app's event cache on Anvil: exact round trip, rebuilt when lost, healed on revert."""

from __future__ import annotations

import os
from pathlib import Path

from web3 import Web3

from fedlend.chain import anvil as anvil_dev
from fedlend.chain.events import (
    BountyReclaimed,
    ModelCompleted,
    ModelCreated,
    RoundEvaluated,
    UpdateEvaluated,
    UpdateSubmitted,
)
from fedlend.chain.terms import ModelTerms
from fedlend.services.event_cache import EventCache
from fedlend.types import Digest
from tests.market import Market

DAY = 86_400


def digest() -> Digest:
    return Digest(os.urandom(32))


def _terms(now: int, bounty_wei: int) -> ModelTerms:
    """A day-long bounty from 5000 to 6000 bps over random digests."""
    return ModelTerms(digest(), digest(), 5000, 6000, now + DAY, bounty_wei)


def test_every_event_kind_round_trips_with_its_block_time(market: Market, tmp_path: Path) -> None:
    lender, owner = market.node(0).client, market.node(7).client
    model_id = lender.create_model(_terms(lender.chain_time(), 10**15 + 1)).value
    update_id = owner.submit_update(model_id, digest()).value
    lender.evaluate_update(update_id, score=5500, new_weights=digest())  # accepted, half paid
    update_id = owner.submit_update(model_id, digest()).value
    lender.evaluate_update(update_id, score=6000, new_weights=digest())  # reaches the target
    cache = EventCache(tmp_path / "events.sqlite3")

    timed = cache.model_events(lender, model_id)
    assert [t.event for t in timed] == lender.events(model_id=model_id)
    kinds = [type(t.event) for t in timed]
    assert kinds == [
        ModelCreated,
        UpdateSubmitted,
        UpdateEvaluated,
        RoundEvaluated,  # evaluateUpdate is a round of one
        UpdateSubmitted,
        UpdateEvaluated,
        RoundEvaluated,
        ModelCompleted,
    ]
    for item in timed:
        block = lender.w3.eth.get_block(item.event.at.block_number)
        assert item.timestamp == block["timestamp"]
    paid = [t.event.reward_wei for t in timed if isinstance(t.event, UpdateEvaluated)]
    assert paid == [5 * 10**14, 5 * 10**14]  # each lift paid rounded down

    assert lender.reclaim(model_id).value == 1  # the wei the rounding left
    reclaimed = cache.model_events(lender, model_id)[-1].event
    assert isinstance(reclaimed, BountyReclaimed)
    assert reclaimed.amount_wei == 1
    (tmp_path / "events.sqlite3").unlink()
    rebuilt = EventCache(tmp_path / "events.sqlite3").model_events(lender, model_id)
    assert [t.event for t in rebuilt] == lender.events(model_id=model_id)


def test_events_undone_by_a_revert_leave_the_cache(market: Market, tmp_path: Path) -> None:
    lender, owner = market.node(0).client, market.node(8).client
    w3: Web3 = lender.w3
    model_id = lender.create_model(_terms(lender.chain_time(), 10**15)).value
    cache = EventCache(tmp_path / "events.sqlite3")
    snapshot = anvil_dev.snapshot(w3)
    owner.submit_update(model_id, digest())
    assert len(cache.model_events(lender, model_id)) == 2
    anvil_dev.revert_to(w3, snapshot)
    for _ in range(3):  # the new chain grows past the height the cache had read
        anvil_dev.dev_rpc(w3, "evm_mine", [])
    timed = cache.model_events(lender, model_id)
    assert [type(t.event) for t in timed] == [ModelCreated]
