"""The new-bounty form posts a verified model (key mode), refuses an MLP and wallet mode."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import pytest

from fedlend.services.verified import is_verified
from fl.data import POLICY_COLUMN, REFERENCE_DATE, TARGET, load_loans
from tests.apps.lender_support import lender_app, page, post_bounty_form, wait_job
from tests.apps.test_wallet_views import sign_in, wallet_app
from tests.market import *  # noqa: F403  (the market fixtures)
from tests.market import Market
from tests.zk.conftest import CACHE, COLUMNS


@pytest.fixture(scope="module")
def narrow_csv(small_lender_csv: bytes) -> bytes:
    """The 64 small-test loans with only the four test features: the 64 x 4 test circuit."""
    frame: pd.DataFrame = load_loans(small_lender_csv)
    return frame[[*COLUMNS, TARGET, POLICY_COLUMN, REFERENCE_DATE]].to_csv(index=False).encode()


def test_the_form_posts_a_verified_model_with_a_proven_score(
    market: Market, tmp_path: Path, narrow_csv: bytes
) -> None:
    settings = market.settings(0).with_(zk_cache=CACHE)
    app = lender_app(market, tmp_path, FEDLEND_SETTINGS=settings)
    client = app.test_client()
    assert "Verified (zero-knowledge proofs of every round's score)" in page(
        client, "/bounties/new"
    )
    response = post_bounty_form(
        client, csv=narrow_csv, base="zero", verified="on", target="0.9", bounty_eth="0.5"
    )
    assert response.status_code == 302, html.unescape(response.get_data(as_text=True))[-3000:]
    job_id = response.headers["Location"].rsplit("/", 1)[-1]
    job = wait_job(app, job_id)
    assert job.state == "done", job.error
    assert job.result["verified"] is True
    model_id = job.result["model_id"]
    with app.app_context():
        from lender_app.context import get_lender

        node = get_lender().node
        record = node.client.get_model(model_id)
        assert node.client.get_verification(model_id) is not None
        assert is_verified(node.spec_of(record))
    assert (record.best_score, record.remaining_wei) == (5_000, 5 * 10**17)


def test_a_verified_mlp_is_refused_on_the_form(
    market: Market, tmp_path: Path, narrow_csv: bytes
) -> None:
    app = lender_app(market, tmp_path)
    response = post_bounty_form(app.test_client(), csv=narrow_csv, model_kind="mlp", verified="on")
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert 'id="error-verified"' in body
    assert "Only a logistic regression can be verified" in body
    assert not app.extensions["fedlend_jobs"].recent(kind="post")


def test_wallet_mode_refuses_a_verified_bounty_and_says_why(
    market: Market, tmp_path: Path, narrow_csv: bytes
) -> None:
    app = wallet_app("lender", market, tmp_path)
    client = app.test_client()
    assert sign_in(client)[0] == 200
    response = post_bounty_form(client, csv=narrow_csv, base="zero", verified="on", target="0.9")
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "key mode only" in body
    assert not app.extensions["fedlend_jobs"].recent(kind="post")
