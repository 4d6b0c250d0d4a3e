"""What a first-time user trips on, in Chromium: amounts to about 4 significant decimals with the
exact figure on hover and copy; another account's jobs stay out of sight."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from fedlend.web.filters import eth
from tests.apps.helpers import build_app
from tests.axe import assert_accessible
from tests.browser_helpers import LiveServer, keep_dataset
from tests.market import *  # noqa: F403  (the market fixtures)
from tests.market import Market

pytestmark = pytest.mark.browser
AMOUNT = 1_653_620_352_250_489_236
COPY_JS = """(selector) => new Promise((resolve) => {
  const el = document.querySelector(selector);
  const range = document.createRange(); range.selectNodeContents(el);
  const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
  const done = (e) => resolve(e.clipboardData.getData("text/plain"));
  window.addEventListener("copy", done, { once: true });
  document.execCommand("copy");
})"""


def test_amounts_show_about_4_significant_decimals_and_the_exact_figure_on_hover_and_copy(
    market: Market, tmp_path: Path, page: Page, live_server: Callable[[Flask], LiveServer]
) -> None:
    node = market.node(7)
    before = node.balance()
    node.client.w3.provider.make_request("anvil_setBalance", [node.address, hex(AMOUNT)])  # type: ignore[arg-type]
    server = live_server(
        build_app("lender", tmp_path, FEDLEND_SETTINGS=market.settings(7), TESTING=False)
    )
    try:
        _check_amounts(page, server)
    finally:
        node.client.w3.provider.make_request("anvil_setBalance", [node.address, hex(before)])  # type: ignore[arg-type]


def _check_amounts(page: Page, server: LiveServer) -> None:
    page.goto(server.url("/account/"))
    balance = page.locator("#balance")
    expect(balance).to_have_text("1.6536 ETH")
    exact = balance.locator("[data-eth-exact]")
    expect(exact).to_have_attribute("title", re.compile(r"^1\.653620352250489236 ETH \("))
    assert page.evaluate(COPY_JS, "#balance .eth") == eth(1_653_620_352_250_489_236)
    assert re.fullmatch(
        r"[\d,]+\.\d{1,4} ETH", page.locator(".badge-detail").inner_text().split(" · ")[1]
    )


def test_a_job_belongs_to_the_account_that_started_it(
    market: Market, tmp_path: Path, page: Page, live_server: Callable[[Flask], LiveServer]
) -> None:
    shared = tmp_path / "owner"  # two owners on one data directory
    first = build_app("owner", shared, FEDLEND_SETTINGS=market.settings(1), TESTING=False)
    with first.test_request_context():
        job_id = first.extensions["fedlend_jobs"].submit(
            "contribute", lambda _p, _c: {"n_examples": 2000}, title="Train on owner1-loans.csv"
        )
    first.extensions["fedlend_jobs"].wait(job_id)
    mine = live_server(first)
    theirs = live_server(
        build_app("owner", shared, FEDLEND_SETTINGS=market.settings(2), TESTING=False)
    )
    page.goto(mine.url(f"/contribute/jobs/{job_id}"))
    expect(page.locator("h1")).to_have_text("Training and submission")
    response = page.goto(theirs.url(f"/contribute/jobs/{job_id}"))
    assert response is not None
    assert response.status == 404
    assert "owner1-loans.csv" not in page.content()
    page.goto(theirs.url("/"))
    assert "owner1-loans.csv" not in page.content()
    assert page.request.get(theirs.url(f"/jobs/{job_id}")).status == 404


def test_transaction_hashes_link_to_a_page_and_the_account_has_a_history(
    market: Market,
    posted: Callable[..., object],
    tmp_path: Path,
    page: Page,
    live_server: Callable[[Flask], LiveServer],
) -> None:
    model = posted()
    tx_hash = model.sent.tx_hash  # type: ignore[attr-defined]
    server = live_server(
        build_app("lender", tmp_path, FEDLEND_SETTINGS=market.settings(0), TESTING=False)
    )
    page.goto(server.url("/account/"))
    page.click("#tx-history-link")
    row = page.locator(f'tr[data-tx="{tx_hash}"]')
    expect(row).to_contain_text("Post a bounty: escrow the amount below")
    expect(row.locator(".copy-button")).to_have_count(1)
    assert_accessible(page, "transaction history")
    row.locator("a.tx-link").click()
    expect(page.locator("#tx-result")).to_have_text("succeeded")
    expect(page.locator("#tx-summary")).to_contain_text("Post a bounty")
    receipt = market.node(0).client.w3.eth.get_transaction_receipt(tx_hash)
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    expect(page.locator("#tx-fee")).to_contain_text(f"{receipt['gasUsed']:,} gas")
    assert eth(fee) in (page.locator("#tx-fee").inner_html() or "")
    assert_accessible(page, "transaction page")
    assert page.goto(server.url("/tx/0x" + "ab" * 32)).status == 404  # type: ignore[union-attr]
    assert page.goto(server.url("/tx/nonsense")).status == 404  # type: ignore[union-attr]


def test_an_explorer_url_replaces_the_local_page(
    market: Market, tmp_path: Path, posted: Callable[..., object]
) -> None:
    tx_hash = posted().sent.tx_hash  # type: ignore[attr-defined]
    app = build_app(
        "lender",
        tmp_path,
        FEDLEND_SETTINGS=market.settings(0),
        EXPLORER_TX_URL="https://explorer.example/tx/{hash}",
    )
    html = app.test_client().get("/tx/").get_data(as_text=True)
    assert f'href="https://explorer.example/tx/{tx_hash}"' in html


def test_epsilon_is_explained_by_file_name_and_a_reduced_epsilon_says_why(
    market: Market,
    posted: Callable[..., object],
    loan_csvs: dict[str, bytes],
    tmp_path: Path,
    page: Page,
    live_server: Callable[[Flask], LiveServer],
) -> None:
    model_id = posted().model_id  # type: ignore[attr-defined]
    server = live_server(
        build_app("owner", tmp_path / "owner", FEDLEND_SETTINGS=market.settings(1), TESTING=False)
    )
    keep_dataset(page, server, "my-loans-2011.csv", loan_csvs["owner1"], model_id)
    sha = page.url.rsplit("/", 1)[1].split("?")[0]
    page.goto(server.url(f"/contribute/?model={model_id}&dataset={sha}&epsilon=8"))
    left = page.locator("[data-budget-left]")
    expect(left).to_contain_text("You can spend at most ε 10 more on my-loans-2011.csv")
    planned = float(page.locator("[data-plan-epsilon]").inner_text().split()[1])
    reduced = page.locator("[data-epsilon-reduced]")
    if planned < 8 * 0.999:
        expect(reduced).to_contain_text(f"You asked for ε 8; this run spends ε {planned:.3g}")
        expect(reduced).to_contain_text("never spends more than you ask")
    else:
        expect(reduced).to_have_count(0)
    expect(page.locator("table.budgets")).to_contain_text("my-loans-2011.csv")


def test_the_lender_sees_the_base_score_and_a_realistic_target_before_posting(
    market: Market,
    loan_csvs: dict[str, bytes],
    tmp_path: Path,
    page: Page,
    live_server: Callable[[Flask], LiveServer],
) -> None:
    csv = tmp_path / "validation.csv"
    csv.write_bytes(loan_csvs["lender"])
    server = live_server(
        build_app("lender", tmp_path / "lender", FEDLEND_SETTINGS=market.settings(0), TESTING=False)
    )
    page.goto(server.url("/bounties/new"))
    page.set_input_files("#csv", str(csv))
    page.get_by_role("button", name="Preview the spec").click(timeout=60_000)
    shown = page.locator("[data-base-score]")
    base = int(shown.get_attribute("data-base-score") or "0")
    assert 5000 < base < 9000
    expect(shown).to_contain_text(f"{base // 10_000}.{base % 10_000:04d} roc_auc")
    low, high = base + 50, base + 300
    expect(page.locator("[data-target-range]")).to_contain_text(
        f"{low // 10_000}.{low % 10_000:04d} to {high // 10_000}.{high % 10_000:04d}"
    )
    page.fill("#title", "Informed target")
    page.fill("#target", f"{(base + 100) / 10_000:.4f}")
    page.fill("#bounty_eth", "1")
    page.fill("#deadline_hours", "24")
    page.click("#post-bounty")
    page.click("#confirm-post")  # the exact escrow is confirmed before anything is sent
    page.wait_for_url(re.compile(r"/models/\d+$"), timeout=90_000)
    model_id = int(page.url.rsplit("/", 1)[1])
    assert market.node(0).client.get_model(model_id).initial_score == base  # what was previewed
