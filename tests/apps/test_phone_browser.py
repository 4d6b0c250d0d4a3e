"""At phone width (390 px): a Menu button opens the whole menu, tables become cards, nothing runs
off the side of the page (the model page was 966 px wide), long values get a Copy button."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, ViewportSize, expect

from fedlend.services.lender import PostedModel
from tests.apps.helpers import build_app
from tests.browser_helpers import LiveServer, screenshot
from tests.market import *  # noqa: F403  (the market fixtures)
from tests.market import Market

pytestmark = pytest.mark.browser
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def fits(page: Page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_the_lender_pages_fit_a_phone_and_the_menu_opens(
    market: Market,
    posted: Callable[..., PostedModel],
    tmp_path: Path,
    phone: Page,
    live_server: Callable[[Flask], LiveServer],
) -> None:
    model = posted()
    server = live_server(
        build_app("lender", tmp_path, FEDLEND_SETTINGS=market.settings(0), TESTING=False)
    )
    for path in ("/", f"/models/{model.model_id}", "/account/", "/bounties/new"):
        phone.goto(server.url(path))
        assert fits(phone), f"{path} is wider than the phone"
    phone.goto(server.url(f"/models/{model.model_id}"))
    screenshot(phone, "phone-lender-model")
    copyable = phone.locator("[data-copy]")
    expect(copyable.first).to_be_visible()  # the spec CID, the audit command
    expect(phone.locator("[data-copy] + .copy-button")).to_have_count(copyable.count())
    account = phone.get_by_role("navigation").get_by_role("link", name="Account")
    expect(account).to_be_hidden()
    phone.click("#menu-toggle")
    expect(phone.locator("#menu-toggle")).to_have_attribute("aria-expanded", "true")
    account.click()
    expect(phone.locator("h1")).to_have_text("Account")


def test_the_owner_menu_reaches_every_page_on_a_phone(
    market: Market, tmp_path: Path, phone: Page, live_server: Callable[[Flask], LiveServer]
) -> None:
    server = live_server(
        build_app("owner", tmp_path, FEDLEND_SETTINGS=market.settings(1), TESTING=False)
    )
    for name in ("My data", "Open bounties", "Contribute", "My contributions"):
        phone.goto(server.url("/"))
        phone.click("#menu-toggle")
        phone.get_by_role("navigation").get_by_role("link", name=name).click()
        assert fits(phone), f"{name} is wider than the phone"
    cells = phone.locator("table.cards-on-phone td[data-label]")
    if cells.count():  # the tables of the page became labelled cards
        assert cells.first.evaluate("el => getComputedStyle(el).display") == "block"
