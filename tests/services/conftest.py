"""Fixtures for the verified-model service tests: a lender whose circuit keys live in
build/zk-cache (shared with tests/zk: the same 64 x 4 circuit)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.events import RoundEvaluated
from fedlend.services.bounty_terms import BountyTerms
from fedlend.services.lender import LenderService
from fedlend.services.node import open_node
from tests.market import DAY, Market
from tests.zk.conftest import CACHE, COLUMNS


@pytest.fixture(scope="module")
def zk_lender(market: Market) -> LenderService:
    """Dev account 0 as a lender whose circuit keys are cached under build/zk-cache."""
    return LenderService(open_node(market.settings(0).with_(zk_cache=CACHE)))


@pytest.fixture(scope="module")
def verified_terms(zk_lender: LenderService) -> Callable[..., BountyTerms]:
    """verified_terms(target=bps, **kw) -> terms of a verified model on the test circuit."""

    def terms(*, target: int, title: str = "verified model", **kwargs: object) -> BountyTerms:
        return BountyTerms(
            title=title,
            target_score=target,
            bounty_wei=10**18,
            deadline=zk_lender.node.client.chain_time() + DAY,
            base="zero",
            features=COLUMNS,
            verified=True,
            **kwargs,  # type: ignore[arg-type]
        )

    return terms


def round_events(client: ModelRepositoryClient, model_id: int) -> list[RoundEvaluated]:
    """A model's RoundEvaluated events, oldest first."""
    return [e for e in client.events(model_id=model_id) if isinstance(e, RoundEvaluated)]
