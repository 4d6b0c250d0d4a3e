"""Owner app in real Chromium: add loans, review, train with DP in the background, see it listed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from fedlend.types import UpdateStatus
from tests.apps.helpers import build_app
from tests.browser_helpers import LiveServer, keep_dataset, screenshot, submit_if_asked
from tests.market import Market, PostBounty

pytestmark = pytest.mark.browser
TRAIN_TIMEOUT_MS = 60_000


def test_an_owner_contributes_to_a_bounty_through_the_pages(
    market: Market,
    posted: PostBounty,
    loan_csvs: dict[str, bytes],
    tmp_path: Path,
    page: Page,
    console_errors: list[str],
    live_server: Callable[[Flask], LiveServer],
) -> None:
    model = posted(target=0.8)
    app = build_app("owner", tmp_path / "owner", FEDLEND_SETTINGS=market.settings(1), TESTING=False)
    server = live_server(app)

    keep_dataset(page, server, "owner1.csv", loan_csvs["owner1"], model.model_id)
    expect(page.locator("h1")).to_have_text("owner1.csv")
    expect(page.locator("[data-verdict]")).to_have_text("usable")
    expect(page.locator("[data-rows]")).to_have_text("2,000")
    screenshot(page, "owner-data-checked")

    page.get_by_role("link", name="Contribute with this dataset").click()
    expect(page.locator("#model")).to_have_value(str(model.model_id))
    page.fill("#epsilon", "1")
    page.get_by_role("button", name="Review").click()
    expect(page.locator("[data-review]")).to_be_visible()
    expect(page.locator("[data-plan-epsilon]")).to_contain_text("at δ 1e-05")
    screenshot(page, "owner-contribute-review")
    page.get_by_role("button", name="Train and submit").click()
    submit_if_asked(page, then="[data-outcome]", timeout_ms=TRAIN_TIMEOUT_MS)

    outcome = page.locator("[data-outcome] h2")  # jobs.js reloads the page when the job ends
    expect(outcome).to_contain_text("Submitted as update #", timeout=TRAIN_TIMEOUT_MS)
    update_id = int(outcome.inner_text().rsplit("#", 1)[1])
    expect(page.locator("[data-job-state]")).to_have_text("done")
    expect(page.locator("[data-local]")).to_contain_text("ROC-AUC on your own loans")
    screenshot(page, "owner-contribute-done")

    record = market.node(0).client.get_update(update_id)
    assert record.submitter == market.node(1).address
    assert record.status == UpdateStatus.PENDING
    page.get_by_role("link", name="See My contributions").click()
    row = page.locator(f'tr[data-update="{update_id}"]')
    expect(row).to_have_attribute("data-status", "pending")
    expect(row).to_contain_text("owner1.csv")
    expect(page.locator("#withdraw")).to_be_disabled()
    canvas = page.locator("canvas[data-chart]")
    expect(canvas).to_be_visible()
    assert canvas.evaluate("c => c.width") > 100  # Chart.js drew it (served from this app)
    assert screenshot(page, "owner-contributions").stat().st_size > 10_000
    page.get_by_role("link", name="Open bounties").click()
    expect(page.locator(f'tr[data-model="{model.model_id}"] td').nth(7)).to_have_text("1")
    screenshot(page, "owner-bounties")
    assert console_errors == []
