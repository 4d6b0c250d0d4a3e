"""Wallet mode over HTTP: sign in with a one-use nonce for this app's chain, sessions expire,
pages say to connect, and jobs and wallet requests belong to the account that started them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from flask import Flask
from flask.testing import FlaskClient

from fedlend.chain.accounts import dev_account
from tests.apps.helpers import assert_no_traceback, build_app, csrf_token
from tests.market import *  # noqa: F403  (the market fixtures)
from tests.market import Market

ME, OTHER = dev_account(3), dev_account(4)


def wallet_app(which: str, market: Market, tmp_path: Path, **config: object) -> Flask:
    settings = market.settings(0).with_(dev_account=None)
    return build_app(which, tmp_path, FEDLEND_SETTINGS=settings, SIGNING_MODE="wallet", **config)


def _post(client: FlaskClient, path: str, body: dict) -> tuple[int, dict]:
    token = csrf_token(client)
    response = client.post(path, json=body, headers={"X-CSRFToken": token})
    return response.status_code, response.get_json()


def sign_in(
    client: FlaskClient, account: LocalAccount = ME, *, chain_id: int = 31337
) -> tuple[int, dict]:
    status, body = _post(client, "/wallet/nonce", {"address": account.address, "chainId": chain_id})
    if status != 200:
        return status, body
    signature = account.sign_message(encode_defunct(text=body["message"])).signature.hex()
    return _post(
        client, "/wallet/login", {"message": body["message"], "signature": "0x" + signature}
    )


@pytest.mark.parametrize("which", ["lender", "owner"])
def test_a_signed_in_wallet_is_the_account_the_pages_show(
    which: str, market: Market, tmp_path: Path
) -> None:
    client = wallet_app(which, market, tmp_path).test_client()
    before = client.get("/").get_data(as_text=True)
    assert "Wallet mode" in before
    assert 'id="wallet-connect"' in before
    assert "not signed in" in before
    status, body = sign_in(client)
    assert status == 200
    assert body["address"] == ME.address
    after = client.get("/").get_data(as_text=True)
    assert f'data-address="{ME.address}"' in after
    assert "not signed in" not in after
    assert client.get("/wallet/session").get_json()["address"] == ME.address


def test_key_mode_says_so(market: Market, tmp_path: Path) -> None:
    client = build_app("lender", tmp_path, FEDLEND_SETTINGS=market.settings(0)).test_client()
    html = client.get("/").get_data(as_text=True)
    assert 'id="signing-mode"' in html
    assert "Key mode" in html
    assert "wallet.js" not in html


def test_a_replayed_sign_in_is_refused(market: Market, tmp_path: Path) -> None:
    client = wallet_app("owner", market, tmp_path).test_client()
    status, body = _post(client, "/wallet/nonce", {"address": ME.address, "chainId": 31337})
    signature = "0x" + ME.sign_message(encode_defunct(text=body["message"])).signature.hex()
    login = {"message": body["message"], "signature": signature}
    assert _post(client, "/wallet/login", login)[0] == 200
    fresh = wallet_app("owner", market, tmp_path).test_client()  # an attacker replaying it
    status, body = _post(fresh, "/wallet/login", login)
    assert status == 400
    assert "already used or has expired" in body["error"]
    assert fresh.get("/wallet/session").get_json()["address"] is None


def test_a_wallet_on_another_chain_is_asked_to_switch(market: Market, tmp_path: Path) -> None:
    client = wallet_app("owner", market, tmp_path).test_client()
    status, body = sign_in(client, chain_id=1)
    assert status == 400
    assert "switch networks in your wallet" in body["error"]
    chain = client.get("/wallet/session").get_json()["chain"]
    assert chain["chainId"] == hex(31337)
    assert chain["rpcUrls"] == [market.rpc_url]


def test_a_signature_by_another_account_is_refused(market: Market, tmp_path: Path) -> None:
    client = wallet_app("owner", market, tmp_path).test_client()
    _, body = _post(client, "/wallet/nonce", {"address": ME.address, "chainId": 31337})
    forged = "0x" + OTHER.sign_message(encode_defunct(text=body["message"])).signature.hex()
    status, reply = _post(
        client, "/wallet/login", {"message": body["message"], "signature": forged}
    )
    assert status == 400
    assert "refused" in reply["error"]


def test_an_expired_session_is_signed_out(market: Market, tmp_path: Path) -> None:
    client = wallet_app("owner", market, tmp_path, WALLET_SESSION_S=1).test_client()
    assert sign_in(client)[0] == 200
    assert client.get("/wallet/session").get_json()["address"] == ME.address
    time.sleep(1.2)
    assert client.get("/wallet/session").get_json()["address"] is None
    html = client.get("/contributions/").get_data(as_text=True)
    assert "no wallet is signed in" in html
    assert "Connect wallet" in html
    assert_no_traceback(html)


def test_pages_in_wallet_mode_say_to_connect_rather_than_fail(
    market: Market, tmp_path: Path
) -> None:
    client = wallet_app("lender", market, tmp_path).test_client()
    for path in ("/account/", "/bounties/new"):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert "no wallet is signed in" in html, path
        assert_no_traceback(html)


def test_jobs_belong_to_the_account_that_started_them(market: Market, tmp_path: Path) -> None:
    app = wallet_app("owner", market, tmp_path)
    mine, theirs = app.test_client(), app.test_client()
    sign_in(mine, ME)
    sign_in(theirs, OTHER)
    token = csrf_token(mine)
    response = mine.post("/contributions/withdraw", data={"csrf_token": token})
    assert response.status_code == 302
    assert "/wallet/jobs/" in response.headers["Location"]
    job_id = None
    for _ in range(50):
        html = mine.get("/").get_data(as_text=True)
        if 'id="job-' in html:
            job_id = html.split('id="job-', 1)[1].split('"', 1)[0]
            break
        time.sleep(0.05)
    assert job_id, "the withdraw job is listed for the account that started it"
    assert mine.get(f"/jobs/{job_id}").status_code == 200
    assert theirs.get(f"/jobs/{job_id}").status_code == 404
    assert theirs.get(f"/wallet/requests/{job_id}").status_code == 404
    assert f'id="job-{job_id}"' not in theirs.get("/").get_data(as_text=True)
    for _ in range(100):
        job = mine.get(f"/jobs/{job_id}").get_json()
        if job["finished"]:
            break
        time.sleep(0.1)
    # the server's gas estimate already hits the contract's refusal: decoded, nothing sent
    assert job["state"] == "failed"
    assert f"nothing is owed to {ME.address}" in job["error"]
    assert mine.get(f"/wallet/jobs/{job_id}").status_code == 200
    assert theirs.get(f"/wallet/jobs/{job_id}").status_code == 404
