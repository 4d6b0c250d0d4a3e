"""Posting a bounty escrows exactly what was confirmed, and exactly once, even across a crash."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from flask import Flask
from web3 import Web3

from tests.apps.lender_support import HIDDEN, lender_app, page, post_bounty_form, wait_job
from tests.market import *  # noqa: F403
from tests.market import Market


def _model_count(app: Flask) -> int:
    with app.app_context():
        from lender_app.context import get_lender

        return get_lender().node.client.model_count()


def _balance(market: Market) -> int:
    return market.node(0).balance()


@pytest.mark.parametrize("amount", ["1,5", "1.000,5", "1 5", "1_5", "١٫٥", "0x10", "1.5 ETH"])
def test_ambiguous_amounts_are_refused_and_nothing_is_escrowed(
    market: Market, tmp_path: Path, loan_csvs: dict[str, bytes], amount: str
) -> None:
    app = lender_app(market, tmp_path)
    before, count = _balance(market), _model_count(app)
    response = post_bounty_form(app.test_client(), csv=loan_csvs["lender"], bounty_eth=amount)
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert 'id="error-bounty_eth"' in body
    assert "ambiguous" in body or "plain number" in body
    assert not app.extensions["fedlend_jobs"].recent(kind="post")
    assert _model_count(app) == count
    assert _balance(market) == before


def test_the_exact_amount_is_shown_for_confirmation_before_any_escrow(
    market: Market, tmp_path: Path, loan_csvs: dict[str, bytes]
) -> None:
    app = lender_app(market, tmp_path)
    before = _balance(market)
    response = post_bounty_form(
        app.test_client(), csv=loan_csvs["lender"], bounty_eth="1.5", confirm=False
    )
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert 'id="confirm-escrow"' in body
    assert "1.5 ETH" in body
    assert "1,500,000,000,000,000,000 wei" in body
    assert dict(HIDDEN.findall(body))["confirm_wei"] == str(15 * 10**17)
    assert not app.extensions["fedlend_jobs"].recent(kind="post")
    assert _balance(market) == before  # nothing sent before the confirmation


def _crash(app: Flask, job_id: str) -> None:
    """As if the app died while createModel was pending: the job never recorded its result."""
    app.extensions["fedlend_jobs"].shutdown()
    db = app.extensions["fedlend_db"]
    db.execute(
        "UPDATE jobs SET state = 'running', result = NULL, finished_at = NULL WHERE id = ?",
        (job_id,),
    )
    db.close()


def test_a_posting_interrupted_after_its_transaction_is_never_escrowed_twice(
    market: Market, tmp_path: Path, loan_csvs: dict[str, bytes]
) -> None:
    data_dir = tmp_path / "lender"
    first = lender_app(market, data_dir)
    client = first.test_client()
    response = post_bounty_form(client, csv=loan_csvs["lender"], bounty_eth="0.75")
    job_id = response.headers["Location"].rsplit("/", 1)[1]
    model_id = wait_job(first, job_id).result["model_id"]
    _crash(first, job_id)

    restarted = lender_app(market, data_dir)  # same data directory: the restart
    try:
        again = restarted.test_client()
        assert wait_job(restarted, job_id).state == "failed"  # shown as interrupted
        count, before = _model_count(restarted), _balance(market)
        retry = again.get(f"/bounties/new?retry={job_id}")
        assert retry.status_code == 302
        assert retry.headers["Location"] == f"/models/{model_id}"
        shown = page(again, f"/models/{model_id}")
        assert f"already posted as model #{model_id}" in html.unescape(shown)

        # the same form sent again (the browser's back button and "Post" once more)
        draft = restarted.extensions["fedlend_db"].query_one(
            "SELECT fields FROM bounty_drafts WHERE job_id = ?", (job_id,)
        )
        found_id = re.search(r'"post_id": "([0-9a-f]{32})"', draft["fields"])
        assert found_id is not None
        post_id = found_id.group(1)
        resent = post_bounty_form(
            again, csv=loan_csvs["lender"], bounty_eth="0.75", post_id=post_id
        )
        second = resent.headers["Location"].rsplit("/", 1)[1]
        result = wait_job(restarted, second).result
        assert result["model_id"] == model_id
        assert result["again"] is True
        assert _model_count(restarted) == count
        assert _balance(market) == before
    finally:
        restarted.extensions["fedlend_jobs"].shutdown()


def test_a_posting_lost_by_a_chain_restart_says_so_when_the_app_starts_again(
    market: Market, tmp_path: Path, loan_csvs: dict[str, bytes], w3: Web3
) -> None:
    data_dir = tmp_path / "lender"
    first = lender_app(market, data_dir)
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    response = post_bounty_form(first.test_client(), csv=loan_csvs["lender"], bounty_eth="0.5")
    job_id = response.headers["Location"].rsplit("/", 1)[1]
    done = wait_job(first, job_id)
    assert done.state == "done"
    first.extensions["fedlend_jobs"].shutdown()
    balance = _balance(market)
    assert w3.provider.make_request("evm_revert", [snapshot])["result"] is True  # type: ignore[arg-type]
    assert _balance(market) > balance  # the escrow went with the lost block

    restarted = lender_app(market, data_dir)  # the app starts again on the restarted chain
    _model_count(restarted)  # its first connection re-checks the jobs
    job = restarted.extensions["fedlend_jobs"].get(job_id)
    assert job.state == "failed"
    assert f"model #{done.result['model_id']} was posted but" in (job.error or "")
    assert "no bounty is escrowed; post it again" in (job.error or "")
    body = page(restarted.test_client(), f"/bounties/posting/{job_id}")
    assert "no longer on the chain" in html.unescape(body)
    assert "try again" in body
