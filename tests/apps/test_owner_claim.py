"""Owner app recourse: the review period and the lender's record, and claiming an ignored update."""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from flask.testing import FlaskClient

from fedlend.chain.terms import ModelTerms
from fedlend.types import UpdateStatus
from tests.apps.helpers import assert_no_traceback, build_app, csrf_token, found
from tests.market import *  # noqa: F403
from tests.market import Market

if TYPE_CHECKING:
    from fl.models import Weights
    from fl.spec import ModelSpec

REVIEW = 3_600


def _page(client: FlaskClient, path: str) -> str:
    body = client.get(path).get_data(as_text=True)
    assert_no_traceback(body)
    return html.unescape(body)


def test_an_ignored_update_is_claimed_from_the_app_to_the_wei(
    market: Market, tmp_path: Path, advance_time: Callable[[int], int]
) -> None:
    lender, owner = market.node(0), market.node(6)
    model_id = lender.client.create_model(
        ModelTerms(
            weights=lender.put_weights(*_zero_weights()),
            spec=lender.put(_SPEC.to_json()),
            initial_score=5000,
            target_score=8000,
            deadline=lender.client.chain_time() + 600,
            bounty_wei=777_777_777_777_777_777,
            review_period=REVIEW,
        )
    ).value
    update_id = owner.client.submit_update(model_id, owner.put(os.urandom(64))).value
    app = build_app("owner", tmp_path / "owner", FEDLEND_SETTINGS=market.settings(6))
    client = app.test_client()
    listing = _page(client, "/bounties/?all=1")
    row = found(rf'<tr data-model="{model_id}".*?</tr>', listing, re.S).group(0)
    assert f'data-review="{REVIEW}"' in row
    assert "1 h" in row
    assert "0 judged in time" in row

    page = _page(client, "/contributions/")
    assert f'id="claim-{update_id}"' not in page  # the lender still has time
    advance_time(600 + REVIEW + 1)
    page = _page(client, "/contributions/")
    assert f'id="claim-{update_id}"' in page
    owed = owner.client.owed(owner.address)
    token = csrf_token(client, "/contributions/")
    response = client.post(f"/contributions/claim/{update_id}", data={"csrf_token": token})
    assert response.status_code == 302
    assert owner.client.owed(owner.address) == owed + 777_777_777_777_777_777  # the only one
    assert owner.client.get_update(update_id).status == UpdateStatus.EXPIRED
    page = _page(client, "/contributions/")
    assert "Claimed 0.7778 ETH" in page  # the one ETH formatter; the wei are checked below
    assert f'id="claim-{update_id}"' not in page
    listing = _page(client, "/bounties/?all=1")
    row = found(rf'<tr data-model="{model_id}".*?</tr>', listing, re.S).group(0)
    assert "1 left to owners' claims" in row
    assert lender.client.reclaim(model_id).value == 0  # the lender keeps nothing it ignored
    response = client.post(f"/contributions/claim/{update_id}", data={"csrf_token": token})
    assert "Claim refused" in _page(client, "/contributions/")
    app.extensions["fedlend_jobs"].shutdown()


def _zero_weights() -> tuple[ModelSpec, Weights]:
    from fl.strategy import _zeros

    return _SPEC, _zeros(_SPEC)


def _spec() -> ModelSpec:
    from fedlend.settings import SHIPPED_LOANS
    from fl.data import load_loans
    from fl.features import SpecOptions, build_spec

    frame = load_loans(SHIPPED_LOANS).head(500)
    return build_spec(frame, SpecOptions(model="logreg", metric="roc_auc")).with_metadata(
        title="claim test"
    )


_SPEC = _spec()
