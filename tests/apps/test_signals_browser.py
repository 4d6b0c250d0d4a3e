"""The Address check page in real Chromium: scan a local history, see its level; bad input."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from web3 import Web3

from fedlend.chain.accounts import dev_account
from tests.apps.lender_support import lender_app
from tests.axe import assert_accessible
from tests.browser_helpers import LiveServer, screenshot
from tests.chain.local_history import LocalHistory, build_history
from tests.market import *  # noqa: F403
from tests.market import Market

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def local(market: Market) -> LocalHistory:
    w3 = Web3(Web3.HTTPProvider(market.rpc_url))
    return build_history(w3, dev_account(7), dev_account(8))


def test_check_an_address_in_the_browser(
    market: Market,
    local: LocalHistory,
    tmp_path: Path,
    page: Page,
    console_errors: list[str],
    live_server: Callable[[Flask], LiveServer],
) -> None:
    app = lender_app(
        market,
        tmp_path / "app",
        TESTING=False,
        AUTO_EVALUATE=False,
        SIGNALS_FROM_BLOCK=local.first_block,
    )
    server = live_server(app)
    page.goto(server.url("/"))
    page.get_by_role("navigation").get_by_role("link", name="Address check").click()
    expect(page).to_have_title(re.compile("^Address check"))

    page.fill("#signals-address", "0x12")
    page.get_by_role("button", name="Scan the chain").click()
    expect(page.locator("[data-signals-error]")).to_contain_text("not an Ethereum address")
    assert_accessible(page, "address check, a malformed address")

    page.fill("#signals-address", local.account.address)
    page.get_by_role("button", name="Scan the chain").click()
    page.wait_for_url(re.compile(r"/address/\?address=0x"), timeout=60_000)
    result = page.locator(".signals-result")
    expect(result).to_be_visible()
    level = result.locator("[data-signal-level]").first.get_attribute("data-signal-level")
    assert level in ("green", "yellow", "red")
    expect(result.locator("[data-profile]")).not_to_have_text("unknown")
    expect(result.locator("[data-computed]")).to_contain_text("at block")
    expect(result.locator("meter")).to_be_visible()
    screenshot(page, "signals-address")
    assert_accessible(page, "address check, the result")
    assert console_errors == []
