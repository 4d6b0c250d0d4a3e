"""A verified bounty and one proven round in wallet mode: the lender's browser wallet deploys the
circuit's verifiers, signs createVerifiedModel (after a rejection and a retry that neither
re-proves nor posts twice) and evaluateVerifiedRound; the server never holds the lender's key."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from web3 import Web3

from fedlend.amounts import eth_rounded
from fedlend.chain.accounts import dev_account
from fedlend.chain.client import ModelRepositoryClient
from fedlend.types import Address, UpdateStatus
from fl.train import TrainConfig
from tests.apps.helpers import build_app
from tests.browser_helpers import BountyForm, LiveServer, fill_bounty_form, screenshot
from tests.e2e.test_wallet_loop import JOB_TIMEOUT_MS, confirm, sign_in, wallet_page
from tests.market import LoanCsvs, Market
from tests.zk.conftest import CACHE

pytestmark = pytest.mark.browser
BOUNTY_WEI = 5 * 10**17
LENDER = dev_account(0)
ASKS = "window.__fedlendAsks"


def lender_fees(w3: Web3, first_block: int) -> tuple[int, int]:
    """(how many transactions the lender sent since `first_block`, the wei their gas cost)."""
    count = fees = 0
    for block in range(first_block, w3.eth.block_number + 1):
        for tx in w3.eth.get_block(block, full_transactions=True)["transactions"]:
            assert not isinstance(tx, bytes)
            if tx["from"] == LENDER.address:
                receipt = w3.eth.get_transaction_receipt(tx["hash"])
                count, fees = count + 1, fees + receipt["gasUsed"] * receipt["effectiveGasPrice"]
    return count, fees


def start_posting(page: Page, lender: LiveServer, csv: Path) -> None:
    """The New bounty form with "verified" ticked, posted: the job page opens."""
    page.goto(lender.url("/bounties/new"))
    fill_bounty_form(page, csv, BountyForm("Verified wallet bounty", "0.9", "0.5"))
    page.check("#verified")
    page.click("#post-bounty")
    page.wait_for_url(re.compile(r"/bounties/posting/"))


def expect_create_review(page: Page) -> None:
    """The createVerifiedModel review says what the lender signs."""
    review = page.locator("#wallet-review")
    expect(review).to_be_visible(timeout=JOB_TIMEOUT_MS)
    expect(review.locator("#review-title")).to_have_text("Review the transaction")
    summary = review.locator("[data-review='summary']")
    expect(summary).to_contain_text("Post a verified bounty: escrow 0.5 ETH")
    expect(summary).to_contain_text("initial score 5000 bps (50.00% ROC-AUC) is proven")
    expect(summary).to_contain_text("This model pays rounds only with a zero-knowledge proof")
    expect(summary).to_contain_text(re.compile(r"checked by verifier 0x[0-9a-fA-F]{40}"))
    expect(review.locator("#review-amount")).to_have_text("0.5 ETH")


def post_rejected_then_retried(page: Page, lender: LiveServer, csv: Path, home: Path) -> int:
    """Deploy both verifiers, reject createVerifiedModel in the wallet, retry: one ask, one post."""
    start_posting(page, lender, csv)
    confirm(page, title="Unlock your update-decryption key")
    confirm(page, title="Review the deployment")
    confirm(page, title="Review the deployment")
    expect_create_review(page)
    assert page.evaluate(ASKS)[:3] == [
        "Unlock your update-decryption key",
        "Review the deployment",
        "Review the deployment",
    ]
    page.evaluate("window.__testWallet.reject('eth_sendTransaction', true)")
    page.click("#review-confirm")
    expect(page.locator("[data-job-state]")).to_have_text("cancelled", timeout=JOB_TIMEOUT_MS)
    # jobs.js reloads the page once the job ends: touch it only once the reloaded page polls nothing
    expect(page.locator("[data-job-url]")).to_have_count(0, timeout=JOB_TIMEOUT_MS)
    page.evaluate("window.__testWallet.reject('eth_sendTransaction', false)")
    [proof] = home.rglob("proofs/*.json")  # the base score's proof, kept for the retry
    made = proof.stat().st_mtime_ns
    page.get_by_role("link", name="Edit the form and try again").click(timeout=JOB_TIMEOUT_MS)
    expect(page.locator("#verified")).to_be_checked()
    page.click("#post-bounty")
    page.wait_for_url(re.compile(r"/bounties/posting/"))
    expect_create_review(page)
    assert page.evaluate(ASKS) == ["Review the transaction"]  # no unlock, no deployment again
    expect(page.locator("[data-job-message]")).to_contain_text("createVerifiedModel")
    confirm(page, title="Review the transaction", amount="0.5 ETH")
    page.wait_for_url(re.compile(r"/models/\d+$"), timeout=JOB_TIMEOUT_MS)
    screenshot(page, "wallet-verified-01-posted")
    assert list(home.rglob("proofs/*.json")) == [proof]
    assert proof.stat().st_mtime_ns == made  # the retry reused the proof: nothing re-proven
    return int(page.url.rsplit("/", 1)[1])


def test_a_verified_bounty_and_a_proven_round_with_the_lenders_own_wallet(
    market: Market,
    narrow_csv: bytes,
    loan_csvs: LoanCsvs,
    tmp_path: Path,
    browser: Browser,
    live_server: Callable[[Flask], LiveServer],
) -> None:
    settings = market.settings(0).with_(dev_account=None, zk_cache=CACHE)
    app = build_app(
        "lender",
        tmp_path / "lender",
        FEDLEND_SETTINGS=settings,
        SIGNING_MODE="wallet",
        TESTING=False,
        AUTO_EVALUATE=False,
    )
    lender = live_server(app)
    (tmp_path / "narrow.csv").write_bytes(narrow_csv)
    w3 = Web3(Web3.HTTPProvider(market.rpc_url))
    client = ModelRepositoryClient(w3, market.contract)
    first_block, balance_before = w3.eth.block_number + 1, w3.eth.get_balance(LENDER.address)
    models_before = client.model_count()
    context, page = wallet_page(browser, market, LENDER.address)

    sign_in(page, lender, LENDER.address)
    model_id = post_rejected_then_retried(page, lender, tmp_path / "narrow.csv", market.home)
    assert client.model_count() == models_before + 1  # the rejection posted nothing, the retry once
    record = client.get_model(model_id)
    assert (record.lender, record.best_score, record.remaining_wei) == (
        Address(LENDER.address),
        5_000,
        BOUNTY_WEI,
    )
    assert client.get_verification(model_id) is not None
    sent, fees = lender_fees(w3, first_block)
    assert sent == 3  # two verifier deployments and one createVerifiedModel
    assert w3.eth.get_balance(LENDER.address) == balance_before - BOUNTY_WEI - fees

    owner = market.owner(4)
    sha = owner.add_dataset(loan_csvs["owner2"], name="loans").sha256
    update_id = owner.contribute(model_id, sha, TrainConfig(2.0, seed=3)).update_id
    page.goto(lender.url(f"/models/{model_id}"))
    page.click("#evaluate-now")
    review = page.locator("#wallet-review")
    expect(review).to_be_visible(timeout=JOB_TIMEOUT_MS)
    summary = review.locator("[data-review='summary']")
    expect(summary).to_contain_text(f"verified bounty #{model_id} with a zero-knowledge proof")
    expect(summary).to_contain_text(re.compile(r"score proven \d+ bps"))
    assert page.evaluate(ASKS) == ["Review the transaction"]  # proven first, then one ask
    words = summary.inner_text()
    confirm(page, title="Review the transaction", amount="nothing (0 ETH)")
    expect(page.locator(f"#update-{update_id} .pill")).to_have_text(
        "accepted", timeout=JOB_TIMEOUT_MS
    )
    screenshot(page, "wallet-verified-02-round-proven")

    [event] = client.contract.events.RoundEvaluated().get_logs(
        from_block=first_block, argument_filters={"modelId": model_id}
    )
    payout = int(event["args"]["payout"])
    assert payout > 0
    assert f"the contract pays {eth_rounded(payout)}" in words  # the review said the payout
    assert client.get_update(update_id).status == UpdateStatus.ACCEPTED
    assert client.owed(owner.node.address) == payout  # the owner is owed what the event says
    assert client.get_model(model_id).remaining_wei == BOUNTY_WEI - payout
    assert lender_fees(w3, first_block)[0] == 4  # and the lender signed one more transaction
    key_hex = bytes(LENDER.key).hex()
    for path in [*tmp_path.rglob("*"), *market.home.rglob("*")]:
        if path.is_file() and path.stat().st_size < 1 << 24:
            assert key_hex not in path.read_bytes().decode("latin-1"), path
    assert page.console_errors == []  # type: ignore[attr-defined]
    context.close()
