"""The lender app's dashboard and account page, a dead chain, and keys that never show."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from markupsafe import escape
from web3 import Web3

from fedlend.chain import anvil as anvil_dev
from fedlend.chain.accounts import dev_account
from fedlend.chain.client import ModelRepositoryClient
from fedlend.services.lender import PostedModel
from fedlend.web.errorpages import CSRF_MESSAGE
from tests.apps.helpers import assert_no_traceback, csrf_token
from tests.apps.lender_support import dead_rpc_url, flashes, lender_app, page
from tests.market import Market


def test_dashboard_lists_this_lenders_models_with_their_state(
    market: Market, posted: Callable[..., PostedModel], tmp_path: Path
) -> None:
    first, second = posted(), posted(bounty_wei=5 * 10**17, target=0.8)
    html = page(lender_app(market, tmp_path).test_client(), "/")
    mine = html.split("Your models", 1)[1].split("Other open bounties", 1)[0]
    for model in (first, second):
        assert f'href="/models/{model.model_id}">#{model.model_id} test model</a>' in mine
    assert mine.count("pill-open") == 2
    assert "0.5 ETH" in mine
    assert "0.8000" in mine
    assert "No other lender has an open bounty here right now." in html
    assert 'class="badge badge-ok"' in html
    assert "chain 31337" in html


def test_account_page_shows_address_balance_owed_and_where(market: Market, tmp_path: Path) -> None:
    node = market.node(0)
    html = page(lender_app(market, tmp_path).test_client(), "/account/")
    assert node.address in html
    assert market.contract in html
    assert market.rpc_url in html
    assert "id 31337" in html
    assert "Anvil dev account #0" in html
    shown = re.search(r'<p class="muted mono">(\d+) wei</p>', html)
    assert shown
    assert int(shown.group(1)) == node.balance()  # exact wei, nothing sent meanwhile
    assert 'id="owed">0 ETH<' in html
    assert "Withdraw 0 ETH</button>" in html


def test_the_private_key_is_never_rendered(
    market: Market, posted: Callable[..., PostedModel], tmp_path: Path, dev_keys: list[str]
) -> None:
    model = posted()
    key = dev_keys[0]
    settings = market.settings(0).with_(dev_account=None, private_key=key)
    client = lender_app(market, tmp_path, FEDLEND_SETTINGS=settings).test_client()
    pages = ["/", "/account/", "/bounties/new", f"/models/{model.model_id}"]
    for path in pages:
        html = page(client, path)
        assert key[2:].lower() not in html.lower(), path
    assert "a private key from FEDLEND_PRIVATE_KEY (never shown)" in page(client, "/account/")
    card = client.get(f"/models/{model.model_id}/card.json").get_data(as_text=True)
    assert key[2:].lower() not in card.lower()


def test_withdrawing_with_nothing_owed_says_so(market: Market, tmp_path: Path) -> None:
    client = lender_app(market, tmp_path).test_client()
    token = csrf_token(client, "/account/")
    response = client.post("/account/withdraw", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/"
    [(kind, message)] = flashes(page(client, "/account/"))
    assert kind == "error"
    assert "nothing is owed" in message


@pytest.mark.parametrize("path", ["/account/withdraw", "/models/1/reclaim", "/bounties/new"])
def test_actions_without_the_csrf_token_are_refused(
    market: Market, tmp_path: Path, path: str
) -> None:
    response = lender_app(market, tmp_path).test_client().post(path, data={})
    assert response.status_code == 400
    assert str(escape(CSRF_MESSAGE)) in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/account/", 200),
        ("/bounties/new", 200),
        ("/models/1", 200),  # nothing kept locally about #1: what is down, in words
        ("/models/1/model.zip", 503),
        ("/models/1/card.md", 503),
        ("/tx/", 503),
    ],
)
def test_a_dead_chain_is_a_friendly_page(
    market: Market, tmp_path: Path, path: str, status: int
) -> None:
    settings = market.settings(0).with_(rpc_url=dead_rpc_url())
    client = lender_app(market, tmp_path, FEDLEND_SETTINGS=settings).test_client()
    html = page(client, path, status=status)
    assert "cannot reach" in html
    assert "start a local chain with `fedlend chain`" in html
    assert 'class="badge badge-error"' in html
    assert "Error 503" not in html  # the page names what is down instead


def test_a_dead_chain_turns_actions_into_messages(market: Market, tmp_path: Path) -> None:
    settings = market.settings(0).with_(rpc_url=dead_rpc_url())
    client = lender_app(market, tmp_path, FEDLEND_SETTINGS=settings).test_client()
    token = csrf_token(client, "/account/")
    for path in ("/account/withdraw", "/models/1/reclaim", "/models/1/evaluate"):
        response = client.post(path, data={"csrf_token": token})
        assert response.status_code == 302, path
        assert_no_traceback(response.get_data(as_text=True))
    html = page(client, "/")
    messages = [text for kind, text in flashes(html) if kind == "error"]
    assert len(messages) == 3
    assert all("cannot reach" in m for m in messages)


def test_a_missing_contract_is_explained(market: Market, tmp_path: Path) -> None:
    settings = market.settings(0).with_(contract_address="0x" + "12" * 20)
    html = page(lender_app(market, tmp_path, FEDLEND_SETTINGS=settings).test_client(), "/")
    assert "no contract at" in html
    assert "fedlend deploy" in html


def test_a_foreign_host_is_refused_before_anything_runs(market: Market, tmp_path: Path) -> None:
    client = lender_app(market, tmp_path, PORT=5001).test_client()
    assert client.get("/account/", headers={"Host": "127.0.0.1:5001"}).status_code == 200
    response = client.get("/account/", headers={"Host": "evil.example:5001"})
    assert response.status_code == 400
    assert market.node(0).address not in response.get_data(as_text=True)


def test_a_contract_lost_to_a_chain_reset_is_explained_then_reconnected(
    market: Market, tmp_path: Path, w3: Web3
) -> None:
    snapshot = anvil_dev.snapshot(w3)
    lost = ModelRepositoryClient.deploy(w3, dev_account(0)).address
    settings = market.settings(0).with_(contract_address=lost)
    client = lender_app(market, tmp_path, FEDLEND_SETTINGS=settings).test_client()
    page(client, "/account/")  # connected and cached
    anvil_dev.revert_to(w3, snapshot)
    html = page(client, "/account/", status=503)
    assert "does not answer on this chain any more" in html
    assert "fedlend deploy" in html
    assert f"no contract at {lost}" in page(client, "/account/")  # reconnects, says what to do
