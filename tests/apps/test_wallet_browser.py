"""Wallet mode in Chromium with the injected test wallet: a wallet on the wrong chain is asked to
switch, a rejection in the wallet is a normal outcome, switching account signs you out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from fedlend.chain.accounts import dev_account
from tests.apps.helpers import build_app
from tests.browser_helpers import VIEWPORT, BountyForm, LiveServer, fill_bounty_form
from tests.market import *  # noqa: F403  (the market fixtures)
from tests.market import Market
from tests.wallet_helpers import InjectedWallet

pytestmark = pytest.mark.browser
ME, OTHER = dev_account(5).address, dev_account(6).address


@pytest.fixture
def lender(
    market: Market, tmp_path: Path, live_server: Callable[[Flask], LiveServer]
) -> LiveServer:
    settings = market.settings(0).with_(dev_account=None)
    app = build_app(
        "lender",
        tmp_path,
        FEDLEND_SETTINGS=settings,
        SIGNING_MODE="wallet",
        TESTING=False,
        AUTO_EVALUATE=False,
    )
    return live_server(app)


def wallet_page(browser: Browser, market: Market, *, chain: str = "0x7a69") -> Page:
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    InjectedWallet.install(context, market.rpc_url, ME, chain=chain)
    return context.new_page()


def connect(page: Page, server: LiveServer) -> None:
    page.goto(server.url("/"))
    page.click("#wallet-connect")
    expect(page.locator("#wallet-address")).to_have_attribute("title", ME)
    expect(page.locator("[data-signing-mode]")).to_have_attribute("data-wallet-ready", "yes")


def test_a_wallet_on_another_chain_is_asked_to_switch_then_signs_in(
    browser: Browser, market: Market, lender: LiveServer
) -> None:
    page = wallet_page(browser, market, chain="0x1")
    connect(page, lender)
    calls = InjectedWallet.calls(page)
    assert calls.index("wallet_switchEthereumChain") < calls.index("personal_sign")
    page.context.close()


def test_declining_the_sign_in_leaves_you_signed_out_with_a_plain_message(
    browser: Browser, market: Market, lender: LiveServer
) -> None:
    page = wallet_page(browser, market)
    page.goto(lender.url("/"))
    InjectedWallet.reject(page, "personal_sign")
    page.click("#wallet-connect")
    expect(page.locator("#wallet-status")).to_have_text(
        "You declined in your wallet: not signed in."
    )
    expect(page.locator("#wallet-connect")).to_be_visible()
    page.context.close()


def test_rejecting_in_the_wallet_cancels_the_job_and_nothing_is_sent(
    browser: Browser,
    market: Market,
    lender: LiveServer,
    loan_csvs: dict[str, bytes],
    tmp_path: Path,
) -> None:
    csv = tmp_path / "validation.csv"
    csv.write_bytes(loan_csvs["lender"])
    page = wallet_page(browser, market)
    connect(page, lender)
    count = market.node(0).client.model_count()
    page.goto(lender.url("/bounties/new"))
    fill_bounty_form(page, csv, BountyForm("Rejected bounty"))
    page.click("#post-bounty")  # wallet mode: the review screen is the one ask
    expect(page.locator("#confirm-escrow")).to_have_count(0)
    expect(page.locator("#wallet-review")).to_be_visible(timeout=30_000)
    InjectedWallet.reject(page, "personal_sign")
    page.click("#review-confirm")
    expect(page.locator("[data-job-state]")).to_have_text("cancelled", timeout=30_000)
    expect(page.locator("[data-job-message]")).to_have_text(
        "you rejected the signature in your wallet: nothing was sent or signed"
    )
    expect(page.get_by_role("link", name="Edit the form and try again")).to_be_visible()
    assert market.node(0).client.model_count() == count
    page.context.close()


def test_rejecting_on_the_review_screen_is_a_rejection_too(
    browser: Browser,
    market: Market,
    lender: LiveServer,
    loan_csvs: dict[str, bytes],
    tmp_path: Path,
) -> None:
    csv = tmp_path / "validation.csv"
    csv.write_bytes(loan_csvs["lender"])
    page = wallet_page(browser, market)
    connect(page, lender)
    page.goto(lender.url("/bounties/new"))
    fill_bounty_form(page, csv, BountyForm("Rejected bounty"))
    page.click("#post-bounty")  # wallet mode: the review screen is the one ask
    expect(page.locator("#confirm-escrow")).to_have_count(0)
    page.click("#review-reject", timeout=30_000)
    expect(page.locator("[data-job-state]")).to_have_text("cancelled", timeout=30_000)
    assert InjectedWallet.calls(page).count("personal_sign") == 1  # sign-in only: never opened
    page.context.close()


def test_switching_account_in_the_wallet_signs_you_out(
    browser: Browser, market: Market, lender: LiveServer
) -> None:
    page = wallet_page(browser, market)
    connect(page, lender)
    InjectedWallet.switch_account(page, OTHER)
    expect(page.locator("#wallet-connect")).to_be_visible()
    expect(page.locator("#wallet-status")).to_contain_text("You switched account in your wallet")
    session = page.request.get(lender.url("/wallet/session")).json()
    assert session["address"] is None
    page.context.close()
