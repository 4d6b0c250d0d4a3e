"""The lender app with verified models: the form posts one (key mode), its evaluation job shows
the proof's stages, and a verified MLP is refused with what to do (wallet mode:
tests/e2e/test_wallet_verified.py)."""

from __future__ import annotations

import html
import io
import time
import zipfile
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from fedlend.services.verified import is_verified
from fedlend.types import UpdateStatus
from fedlend.web import JobState
from fl.spec import ModelSpec
from fl.train import TrainConfig
from fl.weights import SPEC_FILE, WEIGHTS_FILE, weights_from_bytes
from lender_app.evaluations import job_kind
from tests.apps.lender_support import (
    WAIT_S,
    lender_app,
    page,
    post_action,
    post_bounty_form,
    wait_job,
)
from tests.market import *  # noqa: F403  (the market fixtures)
from tests.market import LoanCsvs, Market
from tests.zk.conftest import CACHE, COLUMNS


def test_the_form_posts_a_verified_model_with_a_proven_score(
    market: Market, tmp_path: Path, narrow_csv: bytes, loan_csvs: LoanCsvs
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
    _evaluate_with_proof(app, market, model_id, loan_csvs["owner2"])


def _messages(client: FlaskClient, job_id: str) -> list[str]:
    """Poll the job's JSON as jobs.js does; every message it showed, until it finished."""
    seen: list[str] = []
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        state = client.get(f"/jobs/{job_id}").get_json()
        if not seen or seen[-1] != state["message"]:
            seen.append(state["message"])
        if state["state"] not in ("queued", "running"):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"the job did not finish: {seen}")


def _evaluate_with_proof(app: Flask, market: Market, model_id: int, owner_csv: bytes) -> None:
    owner = market.owner(4)
    sha = owner.add_dataset(owner_csv, name="loans").sha256
    update_id = owner.contribute(model_id, sha, TrainConfig(2.0, seed=3)).update_id
    client = app.test_client()
    post_action(client, f"/models/{model_id}/evaluate")
    [job] = app.extensions["fedlend_jobs"].recent(kind=job_kind(model_id))
    shown = _messages(client, job.id)
    # polled, so a fast stage can pass between two polls: every stage is checked in
    # tests/services/test_verified.py from the progress callback itself
    assert any(m.startswith("proving round 1: ") for m in shown), shown
    assert any(" s elapsed" in m for m in shown), shown  # the ticker while EZKL proves
    job = wait_job(app, job.id)
    assert job.state == JobState.DONE, job.error
    assert job.result["proven"] is True
    assert "the score was proven in zero knowledge" in job.message
    assert owner.node.client.update_status(update_id) is not UpdateStatus.PENDING
    shown_page = page(client, f"/models/{model_id}")  # reads the felt weights and proof
    assert 'data-verifier-check="passed"' in shown_page  # the service's verifier is ours
    assert shown_page.count("data-proven-round=") == 1
    archive = client.get(f"/models/{model_id}/model.zip")  # decoded weights as safetensors
    assert archive.status_code == 200, archive.get_data(as_text=True)[:500]
    with zipfile.ZipFile(io.BytesIO(archive.data)) as bundle:
        spec = ModelSpec.from_json(bundle.read(SPEC_FILE))
        weights = weights_from_bytes(bundle.read(WEIGHTS_FILE), spec)
    assert is_verified(spec)
    assert weights["linear.weight"].shape == (1, spec.n_inputs)
    assert len(spec.features) == len(COLUMNS)


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
