"""The borrower desk in real Chromium: score one application from the form, then a batch."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from fedlend.services.lender import PostedModel
from tests.apps.lender_support import lender_app
from tests.axe import assert_accessible
from tests.browser_helpers import LiveServer, screenshot
from tests.market import *  # noqa: F403  (the market fixtures)
from tests.market import Market

pytestmark = pytest.mark.browser


def test_score_one_application_and_a_batch_in_the_browser(
    market: Market,
    posted: Callable[..., PostedModel],
    loan_csvs: dict[str, bytes],
    tmp_path: Path,
    page: Page,
    console_errors: list[str],
    live_server: Callable[[Flask], LiveServer],
) -> None:
    model = posted(target=0.95)
    server = live_server(lender_app(market, tmp_path / "app", TESTING=False, AUTO_EVALUATE=False))
    page.goto(server.url(f"/models/{model.model_id}"))
    expect(page.locator("canvas[data-chart-ready='1']")).to_have_count(5)
    page.click("#open-desk")
    expect(page).to_have_title(f"Desk · model #{model.model_id} · fedlend · Lender")

    page.select_option("#f-grade", "G")
    page.fill("#f-revol_util", "97")
    page.fill("#f-inq_last_6mths", "6")
    page.click("#score-one")
    expect(page.locator("#single-pd")).to_contain_text("%")
    expect(page.locator("#single-reasons li").first).to_contain_text("the risk")
    expect(page.locator("#single-result")).to_contain_text(model.weights_digest.hex())
    screenshot(page, "desk-single")
    assert_accessible(page, "lender desk, one application scored")

    frame = pd.read_csv(io.BytesIO(loan_csvs["owner2"]), dtype=str, keep_default_na=False)
    batch = frame.drop(columns=["default"]).head(40)
    batch.loc[3, "dti"] = "n/a"
    path = tmp_path / "applications.csv"
    batch.to_csv(path, index=False)
    page.set_input_files("#applications", str(path))
    page.click("#score-batch")
    expect(page.locator("#batch-results tbody tr")).to_have_count(40)
    expect(page.locator("#batch-results tbody tr").nth(3)).to_contain_text("dti must be a number")
    expect(page.locator("#drift tbody tr").first).to_be_visible()
    with page.expect_download() as download:
        page.click("#download-csv")
    saved = Path(download.value.path()).read_text()
    assert saved.count("\n") == 41
    assert model.weights_digest.hex() in saved
    screenshot(page, "desk-batch")
    assert_accessible(page, "lender desk, batch result")
    assert console_errors == []
