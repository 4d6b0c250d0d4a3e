"""Credentials in FEDLEND_RPC_URL never reach a page, a badge, an error message or the log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from fedlend.redact import redact_url, scrub, secrets_of
from tests.apps.helpers import build_app
from tests.apps.lender_support import dead_rpc_url
from tests.market import *  # noqa: F403
from tests.market import Market

PASSWORD = "s3cretPassw0rd"
KEY = "9aa3d95b3bc440fa88ea12eaa4456161"
LENDER_PAGES = ["/", "/account/", "/bounties/new"]
OWNER_PAGES = ["/", "/data/", "/bounties/", "/contribute/", "/contributions/"]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            f"https://alice:{PASSWORD}@mainnet.infura.io/v3/{KEY}",
            "https://***@mainnet.infura.io/v3/***",
        ),
        (
            f"https://eth.example/v2/{KEY}?apikey=zzzz#x",
            "https://eth.example/v2/***?apikey=***#***",
        ),
        ("http://127.0.0.1:8545", "http://127.0.0.1:8545"),
        ("http://bob@10.0.0.1:8545/rpc", "http://***@10.0.0.1:8545/rpc"),
    ],
)
def test_urls_are_redacted(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert PASSWORD not in scrub(f"calling {url} failed", secrets_of(url))
    assert KEY not in scrub(f"calling {url} failed", secrets_of(url))


def _urls(market: Market) -> dict[str, str]:
    port = market.rpc_url.rsplit(":", 1)[1].strip("/")
    return {
        "live, userinfo": f"http://alice:{PASSWORD}@127.0.0.1:{port}/",
        "live, key path (404)": f"http://alice:{PASSWORD}@127.0.0.1:{port}/v3/{KEY}",
        "dead": dead_rpc_url().replace("http://", f"http://alice:{PASSWORD}@") + f"/v3/{KEY}",
    }


@pytest.mark.parametrize("which", ["lender", "owner"])
def test_no_page_badge_or_log_line_shows_the_credentials(
    market: Market, tmp_path: Path, caplog: pytest.LogCaptureFixture, which: str
) -> None:
    caplog.set_level(logging.DEBUG)
    for n, (name, url) in enumerate(_urls(market).items()):
        settings = market.settings(0 if which == "lender" else 1).with_(rpc_url=url)
        app = build_app(which, tmp_path / f"{which}{n}", FEDLEND_SETTINGS=settings)
        try:
            client = app.test_client()
            for path in LENDER_PAGES if which == "lender" else OWNER_PAGES:
                body = client.get(path).get_data(as_text=True)
                assert PASSWORD not in body, (name, path)
                assert KEY not in body, (name, path)
                assert "alice" not in body, (name, path)
        finally:
            app.extensions["fedlend_jobs"].shutdown()
    assert PASSWORD not in caplog.text
    assert KEY not in caplog.text


def test_the_account_page_names_the_chain_without_its_credentials(
    market: Market, tmp_path: Path
) -> None:
    url = _urls(market)["live, userinfo"]
    app = build_app(
        "lender", tmp_path / "l", FEDLEND_SETTINGS=market.settings(0).with_(rpc_url=url)
    )
    try:
        body = app.test_client().get("/account/").get_data(as_text=True)
    finally:
        app.extensions["fedlend_jobs"].shutdown()
    assert "id 31337" in body
    assert "http://***@127.0.0.1:" in body
