"""The whole loop in wallet mode: both apps hold no key; a browser wallet (EIP-6963/EIP-1193, the
test wallet forwarding to Anvil) signs in, reviews and sends every transaction and signature."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect
from web3 import Web3

from fedlend.chain.accounts import dev_account
from fedlend.chain.client import ModelRepositoryClient
from fedlend.types import Address, ModelStatus, UpdateStatus
from tests.apps.helpers import build_app
from tests.browser_helpers import (
    VIEWPORT,
    BountyForm,
    LiveServer,
    fill_bounty_form,
    screenshot,
    submit_if_asked,
)
from tests.market import Market
from tests.wallet_helpers import InjectedWallet

pytestmark = pytest.mark.browser
JOB_TIMEOUT_MS = 90_000
BOUNTY_WEI = 2 * 10**18
LENDER, OWNER = dev_account(0).address, dev_account(1).address
COUNT_ASKS = """
window.__fedlendAsks = [];
const showModal = HTMLDialogElement.prototype.showModal;
HTMLDialogElement.prototype.showModal = function () {
  const title = this.querySelector("#review-title");
  window.__fedlendAsks.push(title ? title.textContent : this.id);
  return showModal.call(this);
};
"""  # every review screen a page opens, in order


def wallet_app(which: str, market: Market, data_dir: Path, **config: object) -> Flask:
    """An app in wallet mode: its settings name no key at all."""
    settings = market.settings(0).with_(dev_account=None)
    return build_app(
        which, data_dir, FEDLEND_SETTINGS=settings, SIGNING_MODE="wallet", TESTING=False, **config
    )


def wallet_page(browser: Browser, market: Market, account: str) -> tuple[BrowserContext, Page]:
    """A fresh context with the test wallet answering for `account`."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    InjectedWallet.install(context, market.rpc_url, account)
    context.add_init_script(COUNT_ASKS)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.console_errors = errors  # type: ignore[attr-defined]
    return context, page


def sign_in(page: Page, server: LiveServer, account: str) -> None:
    """Connect wallet on the home page: SIWE signed by the wallet; the header shows the account."""
    page.goto(server.url("/"))
    expect(page.locator("#signing-mode")).to_have_text("Wallet mode")
    page.click("#wallet-connect")
    expect(page.locator("#wallet-address")).to_have_attribute("title", account)


def confirm(page: Page, *, title: str, amount: str | None = None) -> None:
    """The review screen shows what is about to happen; continue in the wallet."""
    dialog = page.locator("#wallet-review")
    expect(dialog).to_be_visible(timeout=JOB_TIMEOUT_MS)
    expect(dialog.locator("#review-title")).to_have_text(title)
    if amount is not None:
        expect(dialog.locator("#review-amount")).to_have_text(amount)
        expect(dialog.locator("#review-fee")).to_contain_text(" gas)")
    page.click("#review-confirm")
    expect(dialog).to_be_hidden()


def post_bounty(page: Page, lender: LiveServer, csv: Path) -> int:
    """The form as in key mode; then unlock the decryption key and review createModel."""
    page.goto(lender.url("/bounties/new"))
    fill_bounty_form(page, csv, BountyForm("Wallet bounty", bounty_eth="2"))
    page.click("#post-bounty")
    # one ask before escrow: the wallet review screen, no key-mode confirm card before it
    page.wait_for_url(re.compile(r"/bounties/posting/"))
    expect(page.locator("#confirm-escrow")).to_have_count(0)
    confirm(page, title="Unlock your update-decryption key")
    review = page.locator("#wallet-review")
    expect(review.locator("#review-title")).to_have_text("Review the transaction")
    expect(review.locator("#review-amount")).to_have_attribute(
        "title", f"2 ETH ({BOUNTY_WEI:,} wei)"
    )
    assert page.evaluate("window.__fedlendAsks") == [
        "Unlock your update-decryption key",
        "Review the transaction",
    ]
    confirm(page, title="Review the transaction", amount="2 ETH")
    page.wait_for_url(re.compile(r"/models/\d+$"), timeout=JOB_TIMEOUT_MS)
    expect(page.locator("#bounty-left")).to_have_text("2 ETH")
    screenshot(page, "wallet-01-lender-posted")
    return int(page.url.rsplit("/", 1)[1])


def contribute(page: Page, owner: LiveServer, csv: Path, model_id: int) -> int:
    """Owner: keep the data, train, sign the update (EIP-712) and review submitUpdate."""
    page.goto(owner.url("/data/"))
    page.set_input_files("#file", str(csv))
    page.select_option("#model", str(model_id))
    page.get_by_role("button", name="Check and keep").click()
    expect(page.locator("[data-verdict]")).to_have_text("usable")
    sha = page.url.rsplit("/", 1)[1].split("?")[0]
    page.goto(owner.url("/contribute/"))
    page.select_option("#model", str(model_id))
    page.select_option("#dataset", sha)
    page.fill("#epsilon", "2")
    page.get_by_role("button", name="Review").click(timeout=JOB_TIMEOUT_MS)
    page.click("#start-training")
    submit_if_asked(page, then="#wallet-review", timeout_ms=JOB_TIMEOUT_MS)
    confirm(page, title="Sign your sealed update")
    confirm(page, title="Review the transaction", amount="nothing (0 ETH)")
    outcome = page.locator("[data-outcome] h2")
    expect(outcome).to_contain_text("Submitted as update #", timeout=JOB_TIMEOUT_MS)
    screenshot(page, "wallet-02-owner-submitted")
    return int(outcome.inner_text().rsplit("#", 1)[1])


def one_tx_action(page: Page, button: str, outcome: str) -> None:
    """Withdraw or reclaim: the button, the review, the wallet, the outcome in words."""
    page.click(button)
    confirm(page, title="Review the transaction", amount="nothing (0 ETH)")
    expect(page.locator("[data-job-message]")).to_contain_text(outcome, timeout=JOB_TIMEOUT_MS)
    expect(page.locator("[data-job-state]")).to_have_text("done")
    # jobs.js reloads the page once the job ends; the reloaded page polls nothing
    expect(page.locator("[data-job-url]")).to_have_count(0, timeout=JOB_TIMEOUT_MS)


def test_the_whole_loop_in_wallet_mode_with_no_key_on_either_server(
    market: Market,
    loan_csvs: dict[str, bytes],
    tmp_path: Path,
    browser: Browser,
    live_server: Callable[[Flask], LiveServer],
) -> None:
    lender = live_server(wallet_app("lender", market, tmp_path / "lender", AUTO_EVALUATE=False))
    owner = live_server(wallet_app("owner", market, tmp_path / "owner"))
    for name in ("lender", "owner1"):
        (tmp_path / f"{name}.csv").write_bytes(loan_csvs[name])
    w3 = Web3(Web3.HTTPProvider(market.rpc_url))
    client = ModelRepositoryClient(w3, market.contract)
    lender_ctx, lender_page = wallet_page(browser, market, LENDER)
    owner_ctx, owner_page = wallet_page(browser, market, OWNER)
    owner_before, owner_nonce = w3.eth.get_balance(OWNER), w3.eth.get_transaction_count(OWNER)

    sign_in(lender_page, lender, LENDER)
    model_id = post_bounty(lender_page, lender, tmp_path / "lender.csv")
    assert client.get_model(model_id).lender == Address(LENDER)
    sign_in(owner_page, owner, OWNER)
    update_id = contribute(owner_page, owner, tmp_path / "owner1.csv", model_id)
    assert client.get_update(update_id).submitter == Address(OWNER)

    lender_page.goto(lender.url(f"/models/{model_id}"))
    lender_page.click("#evaluate-now")
    confirm(lender_page, title="Review the transaction", amount="nothing (0 ETH)")
    row = lender_page.locator(f"#update-{update_id} .pill")
    expect(row).to_have_text("accepted", timeout=JOB_TIMEOUT_MS)
    update = client.get_update(update_id)
    assert update.status == UpdateStatus.ACCEPTED
    assert update.reward_wei > 0

    owner_page.goto(owner.url("/contributions/"))
    words = owner_page.locator(f'tr[data-update="{update_id}"] [data-outcome-words]')
    expect(words).to_contain_text("Accepted: with your update the model scored")
    expect(words).to_contain_text("% of the bounty")
    one_tx_action(owner_page, "#withdraw", "Withdrew ")
    screenshot(owner_page, "wallet-03-owner-withdrawn")
    assert client.owed(OWNER) == 0

    w3.provider.make_request("evm_increaseTime", [2 * 86_400])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    lender_page.goto(lender.url(f"/models/{model_id}"))
    one_tx_action(lender_page, "#reclaim", "Reclaimed ")
    screenshot(lender_page, "wallet-04-lender-reclaimed")
    model = client.get_model(model_id)
    assert model.status == ModelStatus.RECLAIMED
    assert model.remaining_wei == 0
    assert client.owed(LENDER) == BOUNTY_WEI - update.reward_wei

    # the owner's wei: the reward in, minus exactly the gas of its two wallet transactions
    assert w3.eth.get_transaction_count(OWNER) == owner_nonce + 2
    fees = 0
    for block in range(client.deployed_block, w3.eth.block_number + 1):
        for tx in w3.eth.get_block(block, full_transactions=True)["transactions"]:
            assert not isinstance(tx, bytes)  # full transactions, not their hashes
            if tx["from"] == OWNER:
                receipt = w3.eth.get_transaction_receipt(tx["hash"])
                fees += receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert w3.eth.get_balance(OWNER) - owner_before == update.reward_wei - fees
    for page in (lender_page, owner_page):
        assert page.console_errors == []  # type: ignore[attr-defined]
    lender_ctx.close()
    owner_ctx.close()
