"""Accessibility in Chromium, checked by axe-core (npm, injected only in tests): no serious or
critical violations on the main pages; errors tied to their fields, focus on the error summary,
a skip link, job progress announced."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.apps.helpers import build_app
from tests.axe import assert_accessible
from tests.browser_helpers import LiveServer
from tests.market import Market, PostBounty

pytestmark = pytest.mark.browser
PAGES = {
    "lender": ["/", "/bounties/new", "/account/", "/address/", "/tx/"],
    "owner": ["/", "/data/", "/bounties/", "/contribute/", "/contributions/", "/check/", "/tx/"],
}
REVIEW_S = 3_600  # the claim test's review period (MIN_REVIEW_PERIOD)


@pytest.fixture
def servers(
    market: Market, tmp_path: Path, live_server: Callable[[Flask], LiveServer]
) -> dict[str, LiveServer]:
    return {
        which: live_server(
            build_app(which, tmp_path / which, FEDLEND_SETTINGS=market.settings(i), TESTING=False)
        )
        for i, which in enumerate(("lender", "owner"))
    }


@pytest.mark.parametrize("which", ["lender", "owner"])
def test_axe_finds_no_serious_violations(
    which: str, servers: dict[str, LiveServer], page: Page
) -> None:
    for path in PAGES[which]:
        page.goto(servers[which].url(path))
        assert_accessible(page, f"{which} {path}")


def test_errors_are_tied_to_their_fields_and_focus_goes_to_the_summary(
    servers: dict[str, LiveServer], page: Page
) -> None:
    page.goto(servers["lender"].url("/bounties/new"))
    page.click("#post-bounty")  # no validation CSV chosen
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    field = page.locator("#csv")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", "error-csv")
    expect(page.locator("#error-csv")).to_contain_text("Choose your validation CSV")


def test_a_skip_link_leads_past_the_menu(servers: dict[str, LiveServer], page: Page) -> None:
    page.goto(servers["owner"].url("/"))
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the page content")
    expect(skip).to_be_focused()
    skip.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def test_the_claim_page_and_its_outcome_pass_axe(
    market: Market,
    posted: PostBounty,
    tmp_path: Path,
    page: Page,
    advance_time: Callable[[int], int],
    live_server: Callable[[Flask], LiveServer],
) -> None:
    """Recourse (claimUnreviewed): an update the lender left unjudged past its review period."""
    model = posted(base="zero", duration=600, review_period=REVIEW_S)
    owner = market.node(6)
    update_id = owner.client.submit_update(model.model_id, owner.put(os.urandom(64))).value
    app = build_app("owner", tmp_path / "claim", FEDLEND_SETTINGS=market.settings(6), TESTING=False)
    server = live_server(app)
    advance_time(600 + REVIEW_S + 1)
    page.goto(server.url("/contributions/"))
    claim = page.locator(f"#claim-{update_id}")
    expect(claim).to_be_visible()
    assert_accessible(page, "owner contributions with a claim")
    claim.click()
    expect(page.locator(".flash-success")).to_contain_text("Claimed")
    assert_accessible(page, "owner contributions after the claim")
