"""Owner app pages around training: home, open bounties, badge, chain and storage outages."""

from __future__ import annotations

import html
import io
import logging
import re
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from flask import Flask
from flask.testing import FlaskClient
from web3 import Web3

from fedlend.chain.accounts import dev_account
from fedlend.chain.anvil import AnvilProcess
from fedlend.chain.client import ModelRepositoryClient
from fedlend.errors import StorageError, StorageUnavailableError
from fedlend.services.guarded_store import GuardedStore
from fedlend.settings import Settings
from fedlend.storage.kubo import KuboStore
from fedlend.storage.local import LocalStore
from fedlend.web.filters import short_address, utc
from tests.apps.helpers import assert_no_traceback, build_app, csrf_token, found
from tests.market import Market, PostBounty

PAGES = ["/", "/data/", "/bounties/", "/bounties/?all=1", "/contribute/", "/contributions/"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def text(body: bytes | str) -> str:
    page = body.decode() if isinstance(body, bytes) else body
    assert_no_traceback(page)
    return html.unescape(page)


class MakeClient(Protocol):
    """The `make_client` fixture: an owner app's test client on these settings and config."""

    def __call__(self, settings: Settings, **config: object) -> FlaskClient: ...


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[MakeClient]:
    apps: list[Flask] = []

    def make(settings: Settings, **config: object) -> FlaskClient:
        path = tmp_path / f"owner{len(apps)}"
        app = build_app("owner", path, FEDLEND_SETTINGS=settings, **config)
        apps.append(app)
        return app.test_client()

    yield make
    for app in apps:
        app.extensions["fedlend_jobs"].shutdown()


def test_open_bounties_list_what_an_owner_needs_to_choose(
    market: Market, posted: PostBounty, make_client: MakeClient
) -> None:
    model = posted(target=0.8, bounty_wei=3 * 10**18 + 5)
    record = market.node(0).client.get_model(model.model_id)
    page = text(make_client(market.settings(1)).get("/bounties/").get_data())
    row = found(rf'<tr data-model="{model.model_id}".*?</tr>', page, re.S).group(0)
    for expected in (
        f"#{model.model_id} · test model",
        short_address(record.lender),
        "ROC-AUC",
        f"{record.best_score // 10_000}.{record.best_score % 10_000:04d}",
        "0.8000",
        "3.000000000000000005 ETH",
        f'data-remaining-wei="{3 * 10**18 + 5}"',
        utc(record.deadline),
        f'href="/contribute/?model={model.model_id}"',
    ):
        assert expected in row, expected
    assert re.search(r'<td class="num">0</td>', row)  # no updates yet


def test_home_sums_up_and_the_badge_names_the_account(
    market: Market, posted: PostBounty, make_client: MakeClient
) -> None:
    posted()
    client = make_client(market.settings(1))
    page = text(client.get("/").get_data())
    assert "<h1>Data owner</h1>" in page
    assert "badge-ok" in page
    assert short_address(market.node(1).address) in page
    assert "chain 31337" in page
    assert re.search(r"Open bounties</div><div class=\"stat\">[1-9]", page)
    assert "data-owed>0 ETH<" in page


def test_no_page_shows_or_logs_the_private_key(
    market: Market,
    make_client: MakeClient,
    dev_keys: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client(market.settings(1))
    form = {"csrf_token": csrf_token(client, "/data/"), "file": (io.BytesIO(b"x,y\n1"), "a.csv")}
    client.post("/data/", data=form, content_type="multipart/form-data")
    secret = dev_keys[1].lower().removeprefix("0x")
    for path in PAGES:
        body = client.get(path).get_data(as_text=True).lower()
        assert secret not in body, path
    assert secret not in caplog.text.lower()


@pytest.mark.parametrize("path", [p for p in PAGES[1:] if p != "/data/"])  # /data/ is local
def test_chain_down_menu_pages_open_and_say_why(
    market: Market, make_client: MakeClient, path: str
) -> None:
    dead = market.settings(1).with_(rpc_url=f"http://127.0.0.1:{free_port()}")
    response = make_client(dead).get(path)
    assert response.status_code == 200
    page = text(response.get_data())
    assert "data-offline" in page
    assert "Not connected" in page
    assert "cannot reach" in page
    assert "fedlend chain" in page
    assert "badge-error" in page
    assert "offline" in page


@pytest.mark.parametrize("path", [f"/data/{'a' * 64}", "/data/", "/contributions/withdraw"])
def test_chain_down_pages_and_actions_get_a_friendly_503(
    market: Market, make_client: MakeClient, path: str
) -> None:
    client = make_client(market.settings(1).with_(rpc_url=f"http://127.0.0.1:{free_port()}"))
    token = found(r'name="csrf-token" content="([^"]+)"', client.get("/").get_data(as_text=True))
    if path.startswith("/data/a"):
        response = client.get(path)
    else:
        response = client.post(path, data={"csrf_token": token.group(1)})
    assert response.status_code == 503
    page = text(response.get_data())
    assert "cannot reach" in page
    assert "badge-error" in page


def test_no_account_configured_says_how_to_set_one(market: Market, make_client: MakeClient) -> None:
    client = make_client(market.settings(1).with_(dev_account=None), SIGNING_MODE="key")
    page = text(client.get("/bounties/").data)
    assert "data-offline" in page
    assert "no account configured: set FEDLEND_PRIVATE_KEY" in page


def test_no_key_at_all_means_wallet_mode_which_asks_to_connect(
    market: Market, make_client: MakeClient
) -> None:
    page = text(make_client(market.settings(1).with_(dev_account=None)).get("/bounties/").data)
    assert "data-offline" in page
    assert "no wallet is signed in" in page
    assert "Wallet mode" in page


def test_chain_down_home_still_opens(market: Market, make_client: MakeClient) -> None:
    client = make_client(market.settings(1).with_(rpc_url=f"http://127.0.0.1:{free_port()}"))
    home = client.get("/")
    assert home.status_code == 200
    page = text(home.get_data())
    assert "<h1>Data owner</h1>" in page
    assert "Not connected" in page
    assert "cannot reach" in page


def test_a_chain_that_stops_or_resets_mid_session_is_explained(
    make_client: MakeClient, tmp_path: Path
) -> None:
    node = AnvilProcess().start()
    try:
        contract = ModelRepositoryClient.deploy(
            Web3(Web3.HTTPProvider(node.rpc_url)), dev_account(0)
        )
        settings = Settings(
            home=tmp_path / "home",
            rpc_url=node.rpc_url,
            contract_address=contract.address,
            dev_account=2,
        )
        client = make_client(settings)
        assert "data-owed" in text(client.get("/contributions/").data)
    finally:
        node.stop()
    page = text(client.get("/contributions/").data)
    assert "data-offline" in page
    assert "cannot reach" in page
    fresh = AnvilProcess(port=node.port).start()  # the same URL, a new chain without the contract
    try:
        lost = client.get("/contributions/")
        assert lost.status_code == 503
        assert "does not answer on this chain any more" in text(lost.data)
        page = text(client.get("/contributions/").data)  # reconnects and finds no contract
        assert "data-offline" in page
        assert f"no contract at {contract.address}" in page
    finally:
        fresh.stop()


def test_storage_down_names_the_problem_instead_of_failing(
    market: Market, posted: PostBounty, make_client: MakeClient, loan_csvs: dict[str, bytes]
) -> None:
    model = posted()
    offline_store = market.settings(1).with_(ipfs_url=f"http://127.0.0.1:{free_port()}")
    client = make_client(offline_store)
    bounties = text(client.get("/bounties/").get_data())
    assert "Spec unavailable:" in bounties
    assert "data-spec-error" in bounties
    form_page = text(client.get("/contribute/").get_data())
    assert "could not be fetched from storage" in form_page
    upload = {
        "csrf_token": csrf_token(client, "/data/"),
        "file": (io.BytesIO(loan_csvs["owner2"]), "loans.csv"),
        "model": str(model.model_id),
    }
    response = client.post("/data/", data=upload, content_type="multipart/form-data")
    assert response.status_code == 400
    assert f"the spec of model #{model.model_id} is unavailable" in text(response.get_data())


def test_the_apps_store_caches_verified_reads_and_fails_fast_in_an_outage(tmp_path: Path) -> None:
    local = LocalStore(tmp_path / "store")
    guarded = GuardedStore(local, cache_bytes=4 * 1024)
    first, second = guarded.put(b"a" * 1000), guarded.put(b"b" * 1000)
    assert guarded.get(first) == b"a" * 1000
    assert guarded.get(second) == b"b" * 1000
    shutil.rmtree(tmp_path / "store")
    assert guarded.get(first) == b"a" * 1000  # served from the cache: content never changes
    for size in (900, 901, 902, 903):  # evicts the least recently used
        guarded._remember(f"cid{size}", b"x" * size)
    with pytest.raises(StorageError):
        guarded.get(first)

    dead = GuardedStore(KuboStore(f"http://127.0.0.1:{free_port()}"), outage_s=0.3)
    timings = []
    for _ in range(2):
        started = time.monotonic()
        with pytest.raises(StorageUnavailableError, match="cannot reach the IPFS node") as exc:
            dead.get(first)
        timings.append(time.monotonic() - started)
    assert timings[0] > 0.5
    assert timings[1] < 0.1  # the second call did not wait on retries
    time.sleep(0.3)
    started = time.monotonic()
    with pytest.raises(StorageUnavailableError) as again:
        dead.get(first)
    assert time.monotonic() - started > 0.5
    assert str(again.value) == str(exc.value)


def test_with_the_chain_down_my_data_still_lists_the_datasets_and_their_budgets(
    market: Market, make_client: MakeClient, loan_csvs: dict[str, bytes], tmp_path: Path
) -> None:
    shared = tmp_path / "shared-owner"
    up = make_client(market.settings(1), DATA_DIR=shared)
    token = re.search(
        r'name="csrf-token" content="([^"]+)"', up.get("/data/").get_data(as_text=True)
    )
    assert token
    data = {"csrf_token": token.group(1), "file": (io.BytesIO(loan_csvs["owner2"]), "kept.csv")}
    assert up.post("/data/", data=data, content_type="multipart/form-data").status_code == 302
    down_settings = market.settings(1).with_(rpc_url=f"http://127.0.0.1:{free_port()}")
    down = make_client(down_settings, DATA_DIR=shared)
    page = down.get("/data/").get_data(as_text=True)
    assert "kept.csv" in page
    assert "data-chain-down" in page
    assert "cannot reach" in page
    assert "2,000" in page
    assert "badge-error" in page
    assert "data-offline" not in page
