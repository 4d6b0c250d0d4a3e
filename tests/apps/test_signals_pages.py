"""Address signals in both apps on a real Anvil: the page, the badges, bad input, a dead chain."""

from __future__ import annotations

import html
import io
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from web3 import Web3

from fedlend.chain.anvil import free_port
from fedlend.services.lender import PostedModel
from fedlend.settings import Settings
from fedlend.types import Digest
from tests.apps.helpers import assert_no_traceback, build_app, csrf_token, found
from tests.chain.local_history import LocalHistory, build_history
from tests.market import *  # noqa: F403
from tests.market import Market
from tests.signals.test_etherscan import NORMAL, TOKENS


def text(body: bytes) -> str:
    page = body.decode()
    assert_no_traceback(page)
    return html.unescape(page)


@pytest.fixture(scope="module")
def local(market: Market) -> LocalHistory:
    w3 = Web3(Web3.HTTPProvider(market.rpc_url))
    from fedlend.chain.accounts import dev_account

    return build_history(w3, dev_account(7), dev_account(8))


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    apps: list[Flask] = []

    def make(which: str, settings: Settings, **config: object) -> Flask:
        app = build_app(
            which, tmp_path / f"{which}{len(apps)}", FEDLEND_SETTINGS=settings, **config
        )
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["fedlend_jobs"].shutdown()


def _wait_jobs(app: Flask) -> None:
    runner = app.extensions["fedlend_jobs"]
    for job in runner.recent(kind="signals"):
        runner.wait(job.id, timeout_s=120)


def _check(client: FlaskClient, address: str) -> str:
    token = csrf_token(client, "/address/")
    response = client.post("/address/check", data={"address": address, "csrf_token": token})
    assert response.status_code == 302
    assert "/address/job/" in response.location
    return response.location


def test_lender_checks_an_address_and_sees_level_profile_and_block(
    market: Market, local: LocalHistory, make_app: Callable[..., Flask]
) -> None:
    app = make_app("lender", market.settings(0), SIGNALS_FROM_BLOCK=local.first_block)
    client = app.test_client()
    assert "Address check" in text(client.get("/address/").data)
    job_page = _check(client, local.account.address)
    assert "job" in text(client.get(job_page).data)
    _wait_jobs(app)
    page = text(client.get(f"/address/?address={local.account.address}").data)
    level = found(r'data-signal-level="(\w+)"', page).group(1)
    assert level in ("green", "yellow", "red")
    assert re.search(r"at block \d+", page)
    assert "Investor profile" in page
    assert "0 of 7 records" in page
    assert "<meter" in page


def test_updates_table_marks_each_submitters_level(
    market: Market, posted: Callable[..., PostedModel], make_app: Callable[..., Flask]
) -> None:
    model = posted()
    market.node(3).client.submit_update(model.model_id, Digest(os.urandom(32)))
    app = make_app("lender", market.settings(0), SIGNALS_MAX_BLOCKS=3000)
    client = app.test_client()
    first = text(client.get(f"/models/{model.model_id}").data)
    row = found(r'<tr id="update-\d+">.*?</tr>', first, re.S).group(0)
    assert 'data-signal-level="unchecked"' in row  # checking in the background
    _wait_jobs(app)
    again = text(client.get(f"/models/{model.model_id}").data)
    row = found(r'<tr id="update-\d+">.*?</tr>', again, re.S).group(0)
    assert re.search(r'data-signal-level="(green|yellow|red)"', row)


def test_owner_sees_the_lenders_level_and_profile(
    market: Market, posted: Callable[..., PostedModel], make_app: Callable[..., Flask]
) -> None:
    model = posted()
    app = make_app("owner", market.settings(1), SIGNALS_MAX_BLOCKS=3000)
    client = app.test_client()
    client.get("/bounties/")
    _wait_jobs(app)
    page = text(client.get("/bounties/").data)
    row = found(rf'<tr data-model="{model.model_id}".*?</tr>', page, re.S).group(0)
    assert re.search(r'data-signal-level="(green|yellow|red)"', row)
    assert 'class="signal-profile"' in row


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("0x12", "not an Ethereum address"),
        ("<script>alert(1)</script>", "not an Ethereum address"),
        ("0xAbCdEf0123456789aBcDeF0123456789AbCdEf01", "fails its checksum"),
    ],
)
def test_bad_addresses_get_a_clear_message(
    market: Market, make_app: Callable[..., Flask], address: str, message: str
) -> None:
    client = make_app("owner", market.settings(1)).test_client()
    token = csrf_token(client, "/address/")
    response = client.post("/address/check", data={"address": address, "csrf_token": token})
    assert response.status_code == 200
    assert message in text(response.data)
    assert "<script>alert" not in response.data.decode()
    assert message in text(client.get("/address/", query_string={"address": address}).data)


def _import(client: FlaskClient, address: str, *files: tuple[str, bytes]) -> str:
    token = csrf_token(client, "/address/")
    data = {
        "address": address,
        "csrf_token": token,
        "exports": [(io.BytesIO(content), name) for name, content in files],
    }
    response = client.post("/address/import", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    return text(response.data)


def test_etherscan_import_and_wrong_shapes(market: Market, make_app: Callable[..., Flask]) -> None:
    client = make_app("lender", market.settings(0)).test_client()
    me = "0x" + "a" * 40
    page = _import(client, me, ("normal.csv", NORMAL), ("tokens.csv", TOKENS))
    assert "Etherscan CSV export" in page
    assert re.search(r'data-signal-level="(green|yellow|red)"', page)
    wrong = _import(client, me, ("loans.csv", b"loan_amnt,term\n1000,36\n"))
    assert "not an Etherscan transactions export" in wrong


def test_no_history_is_unknown_never_green(
    market: Market, local: LocalHistory, make_app: Callable[..., Flask]
) -> None:
    app = make_app("lender", market.settings(0), SIGNALS_FROM_BLOCK=local.first_block)
    client = app.test_client()
    nobody = Web3.to_checksum_address(os.urandom(20))
    _check(client, nobody)
    _wait_jobs(app)
    page = text(client.get(f"/address/?address={nobody}").data)
    assert 'data-signal-level="unknown"' in page
    assert "no transactions" in page


def test_dead_chain_degrades_to_unknown_with_the_reason(
    market: Market, make_app: Callable[..., Flask]
) -> None:
    dead = market.settings(0).with_(rpc_url=f"http://127.0.0.1:{free_port()}", rpc_timeout=2.0)
    client = make_app("lender", dead).test_client()
    page = text(client.get("/address/", query_string={"address": "0x" + "1" * 40}).data)
    assert 'data-signal-level="unknown"' in page
    assert "cannot be scanned" in page
