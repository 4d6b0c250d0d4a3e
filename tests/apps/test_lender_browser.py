"""The lender app in real Chromium: post a bounty through the form and land on its model page."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from fedlend.types import ModelStatus
from tests.apps.lender_support import lender_app
from tests.browser_helpers import BountyForm, LiveServer, fill_bounty_form, screenshot
from tests.market import Market

pytestmark = pytest.mark.browser
TITLE = "Browser-posted bounty"


def test_post_a_bounty_through_the_form_and_see_it_on_its_model_page(
    market: Market,
    loan_csvs: dict[str, bytes],
    tmp_path: Path,
    page: Page,
    console_errors: list[str],
    live_server: Callable[[Flask], LiveServer],
) -> None:
    app = lender_app(market, tmp_path / "app", TESTING=False, AUTO_EVALUATE=False)
    server = live_server(app)
    csv = tmp_path / "validation.csv"
    csv.write_bytes(loan_csvs["lender"])

    page.goto(server.url("/"))
    page.get_by_role("navigation").get_by_role("link", name="New bounty").click()
    expect(page).to_have_title("New bounty · fedlend · Lender")
    terms = BountyForm(TITLE, target="0.75", bounty_eth="0.25", deadline_hours="48", base=None)
    fill_bounty_form(page, csv, terms)
    expect(page.locator("#spec-preview")).to_contain_text("1600")
    screenshot(page, "lender-new-bounty")
    page.click("#post-bounty")
    expect(page.locator("#confirm-escrow")).to_contain_text("250,000,000,000,000,000 wei")
    page.click("#confirm-post")

    expect(page.locator(".job")).to_be_visible()  # the posting job's progress box
    page.wait_for_url(re.compile(r"/models/\d+$"), timeout=60_000)
    expect(page.locator("h1")).to_contain_text(TITLE)
    expect(page.locator("#model-state")).to_have_text("open")
    expect(page.locator("#bounty-left")).to_have_text("0.25 ETH")
    # score and payouts, then the desk's ROC, calibration and PD histogram
    expect(page.locator("canvas[data-chart-ready='1']")).to_have_count(5)
    assert screenshot(page, "lender-model-page").stat().st_size > 20_000
    assert console_errors == []

    model_id = int(page.url.rsplit("/", 1)[1])
    record = market.node(0).client.get_model(model_id)
    assert record.bounty_wei == 25 * 10**16
    assert record.status == ModelStatus.OPEN
    page.get_by_role("navigation").get_by_role("link", name="Home").click()
    expect(page.locator(f"a[href='/models/{model_id}']")).to_contain_text(TITLE)
