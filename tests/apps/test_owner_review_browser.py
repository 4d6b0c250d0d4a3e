"""In Chromium: an update whose own local estimate got worse pauses the job for the owner's answer;
"Don't submit" sends nothing (and says the ε stays spent), "Submit anyway" submits it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import FilePayload, Page, expect

from tests.apps.helpers import build_app
from tests.axe import assert_accessible
from tests.browser_helpers import LiveServer, screenshot
from tests.market import Market, PostBounty

pytestmark = pytest.mark.browser
TRAIN_TIMEOUT_MS = 60_000
TINY_EPSILON = "0.05"  # enough noise that the lender's trained base gets worse locally


def _start(page: Page, form_url: str) -> None:
    page.goto(form_url)
    page.fill("#epsilon", TINY_EPSILON)
    page.get_by_role("button", name="Review").click()
    page.get_by_role("button", name="Train and submit").click()


def test_a_worse_local_estimate_asks_before_submitting(
    market: Market,
    posted: PostBounty,
    loan_csvs: dict[str, bytes],
    tmp_path: Path,
    page: Page,
    console_errors: list[str],
    live_server: Callable[[Flask], LiveServer],
) -> None:
    model = posted(target=0.8)  # base trained on the lender's loans
    app = build_app("owner", tmp_path / "owner", FEDLEND_SETTINGS=market.settings(1), TESTING=False)
    server = live_server(app)
    page.goto(server.url("/data/"))
    page.set_input_files(
        "#file",
        files=[FilePayload(name="owner1.csv", mimeType="text/csv", buffer=loan_csvs["owner1"])],
    )
    page.select_option("#model", str(model.model_id))
    page.get_by_role("button", name="Check and keep").click()
    page.get_by_role("link", name="Contribute with this dataset").click()
    form_url = page.url
    chain = market.node(0).client

    _start(page, form_url)
    question = page.locator("[data-job-question]")  # jobs.js reloads the page to show it
    expect(question).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    expect(question.locator("h2")).to_have_text("Your own estimate got worse: submit anyway?")
    before = float(question.locator("[data-review-before]").inner_text())
    after = float(question.locator("[data-review-after]").inner_text())
    assert after < before
    expect(question.locator("[data-review-epsilon]")).to_contain_text(
        re.compile(r"already spent ε 0\.0\d+ .* Nothing has been sent to the lender yet")
    )
    expect(page.locator("[data-job-state]")).to_have_text("running")
    screenshot(page, "owner-contribute-worse-question")
    assert_accessible(page, "owner review question")
    question.get_by_role("button", name="Don't submit").click()
    expect(page.locator("[data-not-submitted]")).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    expect(page.locator("[data-job-error]")).to_contain_text(
        re.compile(r"you chose not to submit: .* the ε 0\.0\d+ spent on training stays spent")
    )
    assert chain.get_model(model.model_id).update_count == 0

    _start(page, form_url)
    expect(question).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    question.get_by_role("button", name="Submit anyway").click()
    outcome = page.locator("[data-outcome] h2")
    expect(outcome).to_contain_text("Submitted as update #", timeout=TRAIN_TIMEOUT_MS)
    update_id = int(outcome.inner_text().rsplit("#", 1)[1])
    assert chain.get_model(model.model_id).update_count == 1
    assert chain.get_update(update_id).submitter == market.node(1).address
    assert console_errors == []
