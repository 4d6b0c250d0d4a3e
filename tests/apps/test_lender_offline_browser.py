"""The lender app with the chain down, in Chromium: pages of local data (your models as last seen,
their files, the jobs) still work; every other page says what is down, never a bare error code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from fedlend.services.lender import PostedModel
from tests.apps.lender_support import dead_rpc_url, lender_app
from tests.axe import assert_accessible
from tests.browser_helpers import LiveServer, screenshot
from tests.market import Market

pytestmark = pytest.mark.browser
DOWN_PAGES = ["/account/", "/bounties/new", "/tx/", "/models/{id}/desk", "/models/{id}/policy"]


def download(page: Page, link: str) -> bytes:
    """Click a download link; the file's bytes."""
    with page.expect_download() as started:
        page.click(link)
    return Path(started.value.path()).read_bytes()


def test_with_the_chain_down_your_models_and_their_files_still_open(
    market: Market,
    posted: Callable[..., PostedModel],
    tmp_path: Path,
    page: Page,
    live_server: Callable[[Flask], LiveServer],
) -> None:
    model = posted(base="zero")
    record = market.node(0).client.get_model(model.model_id)
    seen = lender_app(market, tmp_path).test_client()  # the app follows the model once
    assert seen.get(f"/models/{model.model_id}").status_code == 200
    dead = market.settings(0).with_(rpc_url=dead_rpc_url())
    server = live_server(lender_app(market, tmp_path, FEDLEND_SETTINGS=dead, TESTING=False))

    page.goto(server.url("/"))
    expect(page.locator("#offline")).to_contain_text("cannot reach")
    row = page.locator(f'#local-models [data-local-model="{model.model_id}"]')
    expect(row).to_contain_text(f"#{model.model_id} test model")
    expect(row).to_contain_text("1 ETH")
    screenshot(page, "lender-offline-01-home")
    assert_accessible(page, "lender home, chain down")

    row.get_by_role("link", name=f"#{model.model_id} test model").click()
    local = page.locator("#local-model")
    expect(local).to_contain_text("Bounty posted")
    expect(page.locator("#offline")).to_contain_text("start a local chain with `fedlend chain`")
    assert "Error 503" not in page.content()
    spec = download(page, "#local-files a[href$='spec.json']")
    assert spec == market.node(0).get(record.spec)
    weights = download(page, "#local-files a[href$='weights.safetensors']")
    assert weights == market.node(0).get(record.weights)
    screenshot(page, "lender-offline-02-model")
    assert_accessible(page, "lender model page, chain down")

    for path in DOWN_PAGES:
        page.goto(server.url(path.format(id=model.model_id)))
        body = page.locator("main")
        expect(body).to_contain_text("cannot reach")
        expect(body).not_to_contain_text("Error 503")
        expect(page.locator(".badge-error")).to_be_visible()
    assert_accessible(page, "a chain-down error page")
