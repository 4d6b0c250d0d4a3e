"""The whole loop in Chromium through both apps: bounty, data, DP update, evaluation, payout."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from eth_typing import HexStr
from flask import Flask
from playwright.sync_api import Locator, Page, expect
from web3 import Web3

from fedlend.chain.accounts import dev_account
from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.events import UpdateEvaluated, UpdateSubmitted, Withdrawn
from fedlend.types import Address, ModelStatus, UpdateStatus
from fedlend.web.filters import eth, eth_rounded
from tests.apps.helpers import build_app, found
from tests.browser_helpers import BountyForm, LiveServer, fill_bounty_form, screenshot
from tests.market import Market

pytestmark = pytest.mark.browser
JOB_TIMEOUT_MS = 60_000
TITLE = "Loop bounty"
BOUNTY_WEI = 2 * 10**18
EPSILON = "2"


def shot(page: Page, step: int, name: str) -> Path:
    """test-artifacts/loop-NN-<name>.png, checked to hold more than a blank page."""
    path = screenshot(page, f"loop-{step:02d}-{name}")
    assert path.stat().st_size > 10_000, f"{path.name} looks blank"
    return path


def post_bounty(page: Page, lender: LiveServer, csv: Path) -> int:
    """Lender: the New bounty form with a zero-init base model; returns the new model's id."""
    page.goto(lender.url("/"))
    page.get_by_role("navigation").get_by_role("link", name="New bounty").click()
    fill_bounty_form(page, csv, BountyForm(TITLE, bounty_eth="2"))
    expect(page.locator("#spec-preview")).to_contain_text("1600")
    shot(page, 1, "lender-new-bounty")
    page.click("#post-bounty")
    expect(page.locator("#confirm-escrow")).to_contain_text("2,000,000,000,000,000,000 wei")
    page.click("#confirm-post")
    page.wait_for_url(re.compile(r"/models/\d+$"), timeout=JOB_TIMEOUT_MS)
    expect(page.locator("h1")).to_contain_text(TITLE)
    expect(page.locator("#model-state")).to_have_text("open")
    expect(page.locator("#bounty-left")).to_have_text("2 ETH")
    expect(page.locator("#evaluate-now")).to_be_disabled()  # nothing pending yet
    shot(page, 2, "lender-model-open")
    return int(page.url.rsplit("/", 1)[1])


def add_data(page: Page, owner: LiveServer, csv: Path, model_id: int) -> str:
    """Owner: My data, upload and check the loans against the bounty; returns the file's sha256."""
    page.goto(owner.url("/"))
    page.get_by_role("navigation").get_by_role("link", name="My data").click()
    page.set_input_files("#file", str(csv))
    page.select_option("#model", str(model_id))
    page.get_by_role("button", name="Check and keep").click()
    expect(page.locator("h1")).to_have_text(csv.name)
    expect(page.locator("[data-verdict]")).to_have_text("usable")
    expect(page.locator("[data-rows]")).to_have_text("2,000")
    shot(page, 3, "owner-data-checked")
    return page.url.rsplit("/", 1)[1].split("?")[0]


def contribute(page: Page, model_id: int, sha: str) -> int:
    """Owner: Contribute, choose bounty, dataset and ε, review, train and submit; the update id."""
    page.get_by_role("navigation").get_by_role("link", name="Contribute").click()
    page.select_option("#model", str(model_id))
    page.select_option("#dataset", sha)
    page.fill("#epsilon", EPSILON)
    page.get_by_role("button", name="Review").click()
    plan = page.locator("[data-plan-epsilon]")
    expect(plan).to_contain_text(re.compile(r"ε [\d.]+ at δ 1e-05"))
    planned = float(found(r"ε ([\d.]+)", plan.inner_text()).group(1))
    assert 1.9 <= planned <= float(EPSILON)  # calibrated noise: spends at most the ε asked for
    shot(page, 4, "owner-contribute-review")
    page.click("#start-training")
    outcome = page.locator("[data-outcome] h2")  # jobs.js reloads the page when the job ends
    expect(outcome).to_contain_text("Submitted as update #", timeout=JOB_TIMEOUT_MS)
    expect(page.locator("[data-job-state]")).to_have_text("done")
    shot(page, 5, "owner-submitted")
    return int(outcome.inner_text().rsplit("#", 1)[1])


def see_pending(page: Page, update_id: int) -> None:
    """Owner: My contributions lists the update as pending, nothing to withdraw yet."""
    page.get_by_role("link", name="See My contributions").click()
    row = page.locator(f'tr[data-update="{update_id}"]')
    expect(row).to_have_attribute("data-status", "pending")
    expect(page.locator("#withdraw")).to_be_disabled()
    shot(page, 6, "owner-contributions-pending")


def evaluate(page: Page, update_id: int) -> None:
    """Lender: reload the model page, click evaluate now, wait for the job; the update is paid."""
    page.reload()
    button = page.locator("#evaluate-now")
    expect(button).to_have_text("Evaluate 1 pending update now")
    button.click()
    row = page.locator(f"#update-{update_id}")
    expect(row.locator(".pill")).to_have_text("accepted", timeout=JOB_TIMEOUT_MS)
    expect(page.locator(".job [data-job-state]").first).to_have_text("done")
    expect(page.locator("#evaluate-now")).to_have_text("No pending updates")
    privacy = page.locator("#updates th").nth(8)  # rendered text: ε/δ must not be upper-cased
    expect(privacy).to_have_text("PRIVACY (ε, δ, N)", use_inner_text=True)
    shot(page, 7, "lender-evaluated")


def withdraw(page: Page, update_id: int, reward_wei: int) -> None:
    """Owner: reload My contributions, see the reward, withdraw it all."""
    page.reload()
    row = page.locator(f'tr[data-update="{update_id}"]')
    expect(row).to_have_attribute("data-status", "accepted")
    expect(row.locator("[data-reward-wei]")).to_have_attribute("data-reward-wei", str(reward_wei))
    expect(page.locator("[data-owed]")).to_have_attribute("data-owed", str(reward_wei))
    shot(page, 8, "owner-accepted")
    page.click("#withdraw")
    expect(page.locator(".flash-success")).to_contain_text("Withdrew ")
    expect(page.locator("[data-owed]")).to_have_attribute("data-owed", "0")
    expect(page.locator("#withdraw")).to_be_disabled()
    shot(page, 9, "owner-withdrawn")


def fits_its_card(stat: Locator) -> bool:
    """Whether a stat's text stays inside its card (long exact ETH amounts must wrap)."""
    return stat.evaluate("el => el.scrollWidth <= el.clientWidth")


def fee_wei(w3: Web3, tx_hash: str, sender: str) -> int:
    """What one transaction of `sender` cost it in gas: gasUsed × effectiveGasPrice."""
    assert w3.eth.get_transaction(HexStr(tx_hash))["from"] == sender
    receipt = w3.eth.get_transaction_receipt(HexStr(tx_hash))
    assert receipt["status"] == 1
    return receipt["gasUsed"] * receipt["effectiveGasPrice"]


def test_lender_and_owner_close_the_loop_through_the_pages_and_the_wei_add_up(
    market: Market,
    loan_csvs: dict[str, bytes],
    tmp_path: Path,
    page: Page,
    console_errors: list[str],
    live_server: Callable[[Flask], LiveServer],
) -> None:
    lender = live_server(
        build_app(
            "lender",
            tmp_path / "lender",
            FEDLEND_SETTINGS=market.settings(0),
            TESTING=False,
            AUTO_EVALUATE=False,
        )
    )
    owner = live_server(
        build_app("owner", tmp_path / "owner", FEDLEND_SETTINGS=market.settings(1), TESTING=False)
    )
    for name in ("lender", "owner1"):
        (tmp_path / f"{name}.csv").write_bytes(loan_csvs[name])
    w3 = Web3(Web3.HTTPProvider(market.rpc_url))
    client = ModelRepositoryClient(w3, market.contract)
    me = dev_account(1).address
    balance_before, nonce_before = w3.eth.get_balance(me), w3.eth.get_transaction_count(me)
    owner_page = page.context.new_page()  # same browser, both apps' cookies side by side
    owner_errors: list[str] = []
    owner_page.on("console", lambda m: owner_errors.append(m.text) if m.type == "error" else None)

    model_id = post_bounty(page, lender, tmp_path / "lender.csv")
    sha = add_data(owner_page, owner, tmp_path / "owner1.csv", model_id)
    update_id = contribute(owner_page, model_id, sha)
    see_pending(owner_page, update_id)
    assert client.get_update(update_id).status == UpdateStatus.PENDING
    evaluate(page, update_id)
    (paid,) = client.events(names=["UpdateEvaluated"], update_id=update_id)
    assert isinstance(paid, UpdateEvaluated)
    assert paid.status == UpdateStatus.ACCEPTED
    model = client.get_model(model_id)
    expected = BOUNTY_WEI * (paid.score - model.initial_score)
    expected //= model.target_score - model.initial_score
    assert paid.reward_wei == min(expected, BOUNTY_WEI) > 0
    left = page.locator("#bounty-left")
    expect(left).to_have_text(eth_rounded(BOUNTY_WEI - paid.reward_wei))
    if eth_rounded(BOUNTY_WEI - paid.reward_wei) != eth(BOUNTY_WEI - paid.reward_wei):
        exact = left.locator("[data-eth-exact]")
        expect(exact).to_have_attribute("data-eth-exact", eth(BOUNTY_WEI - paid.reward_wei))
    assert fits_its_card(left), "the exact amount left runs out of its stat card"
    withdraw(owner_page, update_id, paid.reward_wei)

    events = client.events(names=["UpdateSubmitted", "Withdrawn"])
    (submitted,) = [
        e for e in events if isinstance(e, UpdateSubmitted) and e.submitter == Address(me)
    ]
    (withdrawn,) = [e for e in events if isinstance(e, Withdrawn) and e.account == Address(me)]
    assert submitted.update_id == update_id
    assert withdrawn.amount_wei == paid.reward_wei
    fees = fee_wei(w3, submitted.at.tx_hash, me) + fee_wei(w3, withdrawn.at.tx_hash, me)
    assert w3.eth.get_transaction_count(me) == nonce_before + 2  # no other owner transaction
    assert w3.eth.get_balance(me) - balance_before == paid.reward_wei - fees
    assert client.owed(me) == 0
    model = client.get_model(model_id)
    assert model.remaining_wei == BOUNTY_WEI - paid.reward_wei == client.balance_of(client.address)
    reached = paid.score >= model.target_score
    assert model.status == (ModelStatus.COMPLETED if reached else ModelStatus.OPEN)
    assert console_errors == []
    assert owner_errors == []
