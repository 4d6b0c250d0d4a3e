"""Strangers' models with hostile specs: every page opens, the bad model is hidden with why."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fedlend.chain.terms import ModelTerms
from fedlend.services import catalog
from fedlend.services.lender import PostedModel
from fedlend.services.spec_cache import specs_for
from fedlend.settings import Settings
from tests.apps.helpers import assert_no_traceback, build_app
from tests.market import *  # noqa: F403
from tests.market import DAY, Market

OWNER_PAGES = ["/", "/data/", "/bounties/", "/bounties/?all=1", "/contribute/", "/contributions/"]
ATTACKER = 7


def _retyped(good: bytes, section: str, key: str, value: object) -> bytes:
    spec = json.loads(good)
    spec[section][key] = value
    return json.dumps(spec).encode()


HOSTILE_SPECS: dict[str, Callable[[bytes], bytes]] = {
    "nested-100k": lambda _good: b"[" * 100_000 + b"]" * 100_000,
    "string-lr": lambda good: _retyped(good, "training", "lr", "0.1"),
    "model-list": lambda good: json.dumps({**json.loads(good), "model": [1]}).encode(),
    "huge-hidden": lambda good: _retyped(good, "model", "hidden", 10**400),
    "not-json": lambda _good: b"\xff{not json",
}


@pytest.fixture(scope="module")
def honest(posted: Callable[..., PostedModel]) -> PostedModel:
    return posted(duration=365 * DAY)


@pytest.fixture(scope="module")
def hostile(market: Market, honest: PostedModel) -> dict[str, int]:
    """One 1-wei model per hostile spec, posted by a stranger, plus one that has expired."""
    node = market.node(ATTACKER)
    good = market.node(0).get(node.client.get_model(honest.model_id).spec)
    ids = {}
    for name, make in HOSTILE_SPECS.items():
        ids[name] = node.client.create_model(
            ModelTerms(
                weights=node.put(b"w"),
                spec=node.put(make(good)),
                initial_score=5000,
                target_score=8000,
                deadline=node.client.chain_time() + 365 * DAY,
                bounty_wei=1,
            )
        ).value
    return ids


@pytest.fixture
def app_for(tmp_path: Path) -> Iterator[Callable[[str, Settings], FlaskClient]]:
    apps: list[Flask] = []

    def make(which: str, settings: Settings) -> FlaskClient:
        app = build_app(which, tmp_path / f"{which}{len(apps)}", FEDLEND_SETTINGS=settings)
        apps.append(app)
        return app.test_client()

    yield make
    for app in apps:
        app.extensions["fedlend_jobs"].shutdown()


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    body = response.get_data(as_text=True)
    assert response.status_code == 200, (path, response.status_code, body[:300])
    assert_no_traceback(body)
    return html.unescape(body)


def test_hostile_specs_are_hidden_with_a_note_and_every_owner_page_opens(
    market: Market,
    honest: PostedModel,
    hostile: dict[str, int],
    app_for: Callable[..., FlaskClient],
) -> None:
    client = app_for("owner", market.settings(1))
    for path in OWNER_PAGES:
        _page(client, path)
    listing = _page(client, "/bounties/")
    assert f'data-model="{honest.model_id}"' in listing
    for model_id in hostile.values():
        assert f'data-model="{model_id}"' not in listing
    assert f"{len(hostile)} models hidden: #" in listing
    assert "data-hidden-models" in listing


def test_the_honest_lenders_home_lists_its_model_and_hides_the_strangers(
    market: Market,
    honest: PostedModel,
    hostile: dict[str, int],
    app_for: Callable[..., FlaskClient],
) -> None:
    home = _page(app_for("lender", market.settings(0)), "/")
    assert f"#{honest.model_id}" in home
    assert f"{len(hostile)} models hidden: #" in home
    assert "; and 2 more" in home


@pytest.mark.parametrize("name", sorted(HOSTILE_SPECS))
def test_each_hostile_spec_gets_a_reason_not_an_exception(
    market: Market, hostile: dict[str, int], name: str
) -> None:
    node = market.node(1)
    bounty = catalog.load_bounty(node, node.client.get_model(hostile[name]))
    assert bounty.spec is None
    assert bounty.malformed
    assert bounty.spec_error


@pytest.mark.usefixtures("honest")
def test_lists_do_not_fetch_specs_of_models_they_do_not_show(
    market: Market, hostile: dict[str, int], advance_time: Callable[[int], None]
) -> None:
    node = market.node(ATTACKER)
    expired_spec = node.put(b"[" * 50_000 + b"0" + b"]" * 49_999)
    node.client.create_model(
        ModelTerms(
            weights=node.put(b"w"),
            spec=expired_spec,
            initial_score=5000,
            target_score=8000,
            deadline=node.client.chain_time() + 60,
            bounty_wei=1,
        )
    )
    advance_time(120)
    reader = market.node(1)
    listing = catalog.browse(reader, accepting_only=True)
    assert all(b.accepting for b in listing.bounties)
    assert len(listing.hidden) == len(hostile)
    assert expired_spec not in specs_for(reader.store)  # not shown: never parsed
    everything = catalog.browse(reader)
    assert len(everything.hidden) == len(hostile) + 1
    assert "nests 50,000 levels deep" in everything.note
