"""A lender's models as this computer last saw them: from the event cache, records and store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fedlend.errors import NotFoundError
from fedlend.services.event_cache import EventCache
from fedlend.services.lender import PostedModel
from fedlend.services.lender_local import (
    SPEC_FILE,
    WEIGHTS_FILE,
    model_file,
    seen_model,
    seen_models,
)
from tests.market import Market


@pytest.fixture(scope="module")
def kept(
    market: Market, posted: Callable[..., PostedModel], tmp_path_factory: pytest.TempPathFactory
) -> tuple[EventCache, PostedModel]:
    model = posted(base="zero")
    events = EventCache(tmp_path_factory.mktemp("events") / "chain-events.sqlite3")
    events.refresh(market.node(0).client)
    return events, model


def test_your_models_list_with_their_terms_and_files(
    market: Market, kept: tuple[EventCache, PostedModel]
) -> None:
    events, posted = kept
    lender = market.lender(0)
    record = lender.node.client.get_model(posted.model_id)
    [model] = [m for m in seen_models(lender, events) if m.model_id == posted.model_id]
    assert model.title == "test model"
    assert model.created.bounty_wei == record.bounty_wei
    assert model.created.target_score == record.target_score
    assert model.weights == record.weights
    assert model.spec is not None
    assert model_file(lender, model, SPEC_FILE) == lender.node.get(record.spec)
    assert model_file(lender, model, WEIGHTS_FILE) == lender.node.get(record.weights)


def test_another_accounts_models_are_not_yours(
    market: Market, kept: tuple[EventCache, PostedModel]
) -> None:
    events, posted = kept
    other = market.lender(2)
    assert all(m.model_id != posted.model_id for m in seen_models(other, events))
    with pytest.raises(NotFoundError, match="no local record"):
        seen_model(other, events, posted.model_id)


@pytest.mark.parametrize("name", ["card.md", "../spec.json", ""])
def test_only_the_two_model_files_are_served(
    market: Market, kept: tuple[EventCache, PostedModel], name: str
) -> None:
    events, posted = kept
    lender = market.lender(0)
    with pytest.raises(NotFoundError, match=r"spec\.json and weights\.safetensors"):
        model_file(lender, seen_model(lender, events, posted.model_id), name)


def test_nothing_kept_yet_lists_nothing(market: Market, tmp_path: Path) -> None:
    assert seen_models(market.lender(0), EventCache(tmp_path / "empty.sqlite3")) == []
