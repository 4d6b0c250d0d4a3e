"""The lender app's model page on a real Anvil: history charts, updates, evaluation, downloads."""

from __future__ import annotations

import hashlib
import io
import json
import re
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from fedlend.services.evaluation import Evaluation, evaluate_pending
from fedlend.services.lender import PostedModel
from fedlend.types import UpdateStatus
from fedlend.web import JobState
from fl.weights import load_model
from lender_app.evaluations import job_kind
from tests.apps.helpers import csrf_token
from tests.apps.lender_support import (
    WAIT_S,
    charts,
    dead_rpc_url,
    flashes,
    lender_app,
    page,
    wait_job,
)
from tests.market import *  # noqa: F403  (the market fixtures)
from tests.market import Market

REWARD_WEI = 1_546_000_000_000_000_000  # what the seeded accepted update earns (pinned below)


@dataclass(frozen=True)
class Evaluated:
    """A zero-based model with one accepted and one rejected real update, judged by the service."""

    model_id: int
    verdicts: list[Evaluation]

    @property
    def accepted(self) -> Evaluation:
        return next(v for v in self.verdicts if v.accepted)

    @property
    def rejected(self) -> Evaluation:
        return next(v for v in self.verdicts if not v.accepted)


@pytest.fixture(scope="module")
def evaluated(market: Market, posted: Callable[..., PostedModel], loan_csvs: dict[str, bytes]):
    model = posted(target=0.80, bounty_wei=3 * 10**18, base="zero")
    for dev, part, seed in ((1, "owner1", 1), (2, "owner2", 2)):
        owner = market.owner(dev)
        sha = owner.add_dataset(loan_csvs[part], name=part).sha256
        owner.contribute(model.model_id, sha, epsilon=2.0, seed=seed)
    verdicts = evaluate_pending(market.lender(), model.model_id)
    assert [v.accepted for v in verdicts] == [True, False], verdicts
    return Evaluated(model.model_id, verdicts)


def post_action(client: FlaskClient, path: str, **data: str) -> TestResponse:
    """POST one of the page's action forms with the page's CSRF token; follow to the page."""
    token = csrf_token(client, "/")
    response = client.post(path, data={"csrf_token": token, **data})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def test_model_page_shows_scores_payments_and_each_update(
    market: Market, evaluated: Evaluated, tmp_path: Path
) -> None:
    html = page(lender_app(market, tmp_path).test_client(), f"/models/{evaluated.model_id}")
    accepted, rejected = evaluated.accepted, evaluated.rejected
    assert accepted.reward_wei == REWARD_WEI
    score_chart, paid_chart = charts(html)
    assert score_chart["labels"] == ["posted", f"#{accepted.update_id}"]
    assert score_chart["datasets"][0]["data"] == [0.5, accepted.score / 10_000]
    assert score_chart["datasets"][1]["data"] == [0.8, 0.8]
    assert paid_chart["datasets"][0]["data"] == [0.0, 1.546]
    assert f'id="current-score">{accepted.score / 10_000:.4f}<' in html
    assert 'id="bounty-left">1.454 ETH<' in html
    row = _row(html, accepted.update_id)
    assert "pill-accepted" in row and "1.546 ETH" in row and "improved the model" in row
    assert "ε 1.99, δ 1e-05, n 2000" in row and "100%" in row
    row = _row(html, rejected.update_id)
    assert "pill-rejected" in row and "did not improve" in row and "0 ETH" in row
    assert 'id="local-missing"' not in html


def _row(html: str, update_id: int) -> str:
    match = re.search(rf'<tr id="update-{update_id}">(.*?)</tr>', html, re.S)
    assert match, f"no row for update {update_id}"
    return match.group(1)


def test_without_local_records_the_page_still_renders_from_the_chain(
    market: Market, evaluated: Evaluated, tmp_path: Path
) -> None:
    app = lender_app(market, tmp_path / "fresh", LENDER_STATE_DIR=tmp_path / "empty-state")
    client = app.test_client()
    html = page(client, f"/models/{evaluated.model_id}")
    assert "no evaluation records for 2" in html and 'id="local-missing"' in html
    row = _row(html, evaluated.accepted.update_id)
    assert "pill-accepted" in row and "1.546 ETH" in row and "no local record" in row
    assert charts(html)[1]["datasets"][0]["data"] == [0.0, 1.546]
    card = client.get(f"/models/{evaluated.model_id}/card.md").get_data(as_text=True)
    assert "unknown (no local evaluation record on this machine)" in card


def test_model_zip_holds_a_loadable_model_and_its_card(
    market: Market, evaluated: Evaluated, tmp_path: Path
) -> None:
    client = lender_app(market, tmp_path / "app").test_client()
    response = client.get(f"/models/{evaluated.model_id}/model.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert f"fedlend-model-{evaluated.model_id}.zip" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert sorted(archive.namelist()) == sorted(
            ["spec.json", "weights.safetensors", "MODEL_CARD.md", "model_card.json"]
        )
        archive.extractall(tmp_path / "model")
    spec, weights = load_model(tmp_path / "model")
    node = market.node(0)
    record = node.client.get_model(evaluated.model_id)
    assert hashlib.sha256((tmp_path / "model" / "spec.json").read_bytes()).digest() == record.spec
    on_chain = node.weights_at(spec, record.weights)
    assert weights.keys() == on_chain.keys()
    assert all(torch.equal(weights[k], on_chain[k]) for k in weights)
    card = json.loads((tmp_path / "model" / "model_card.json").read_text())
    assert card["paid_wei"] == str(REWARD_WEI) and card["remaining_wei"] == str(
        record.remaining_wei
    )
    assert [p["update_id"] for p in card["history"]] == [None, evaluated.accepted.update_id]
    privacy = {p["update_id"]: p for p in card["privacy"]}
    for verdict in evaluated.verdicts:
        entry = privacy[verdict.update_id]
        assert entry["epsilon"] == pytest.approx(verdict.epsilon) and entry["delta"] == 1e-5
        assert entry["n_examples"] == 2000
    assert "annual_inc" in [f["name"] for f in card["data_schema"]["features"]]


def test_model_card_downloads_as_markdown_and_json(
    market: Market, evaluated: Evaluated, tmp_path: Path
) -> None:
    client = lender_app(market, tmp_path).test_client()
    md = client.get(f"/models/{evaluated.model_id}/card.md")
    assert md.status_code == 200 and md.mimetype == "text/markdown"
    text = md.get_data(as_text=True)
    for heading in ("## ROC-AUC history", "## Data schema", "## Privacy of the contributions"):
        assert heading in text
    assert f"| #{evaluated.accepted.update_id} | " in text and "| 2.0e-05 |" not in text
    assert json.loads(client.get(f"/models/{evaluated.model_id}/card.json").data)["metric"]
    bad = page(client, f"/models/{evaluated.model_id}/card.txt", status=400)
    assert "card.md or card.json" in bad


def test_evaluate_now_judges_a_real_contribution_and_pays_it(
    market: Market, posted: Callable[..., PostedModel], loan_csvs: dict[str, bytes], tmp_path: Path
) -> None:
    model_id = posted(target=0.8, bounty_wei=2 * 10**18, base="zero").model_id
    owner = market.owner(3)
    sha = owner.add_dataset(loan_csvs["owner1"], name="loans").sha256
    update_id = owner.contribute(model_id, sha, epsilon=2.0, seed=1).update_id
    app = lender_app(market, tmp_path)
    client = app.test_client()
    html = page(client, f"/models/{model_id}")
    assert "Evaluate 1 pending update now" in html and "awaiting evaluation" in html
    owed_before = owner.owed()

    post_action(client, f"/models/{model_id}/evaluate")
    [job] = app.extensions["fedlend_jobs"].recent(kind=job_kind(model_id))
    job = wait_job(app, job.id)
    assert job.state == JobState.DONE, job.error
    record = owner.node.client.get_update(update_id)
    assert record.status == UpdateStatus.ACCEPTED and record.reward_wei > 0
    assert job.result == {"evaluated": 1, "accepted": 1, "paid_wei": str(record.reward_wei)}
    assert owner.owed() - owed_before == record.reward_wei
    html = page(client, f"/models/{model_id}")
    assert ("info", f"Evaluating model #{model_id}'s pending updates in the background.") in (
        flashes(html)
    )
    assert "1 accepted" in html and "pill-accepted" in _row(html, update_id)
    assert "evaluated 1 update(s): 1 accepted" in html  # the finished job's summary


def test_an_update_that_fails_validation_is_rejected_with_its_reason(
    market: Market, posted: Callable[..., PostedModel], tmp_path: Path
) -> None:
    model_id = posted().model_id
    forger = market.node(9)
    update_id = forger.client.submit_update(model_id, forger.put(b"not a sealed update")).value
    app = lender_app(market, tmp_path)
    client = app.test_client()
    post_action(client, f"/models/{model_id}/evaluate")
    [job] = app.extensions["fedlend_jobs"].recent(kind=job_kind(model_id))
    assert wait_job(app, job.id).state == JobState.DONE
    row = _row(page(client, f"/models/{model_id}"), update_id)
    assert "pill-rejected" in row and "refused:" in row and "0 ETH" in row
    assert forger.client.get_update(update_id).status == UpdateStatus.REJECTED


def test_evaluations_of_one_model_never_overlap(
    market: Market, posted: Callable[..., PostedModel], tmp_path: Path
) -> None:
    model_id = posted().model_id
    app = lender_app(market, tmp_path)
    jobs, client = app.extensions["fedlend_jobs"], app.test_client()
    gate = threading.Event()
    blocker = jobs.submit("block", lambda progress, cancelled: gate.wait(WAIT_S))
    post_action(client, f"/models/{model_id}/evaluate")
    post_action(client, f"/models/{model_id}/evaluate")  # while the first still waits in line
    [queued] = jobs.recent(kind=job_kind(model_id))
    assert queued.state == JobState.QUEUED
    html = page(client, f"/models/{model_id}")
    assert ("info", f"Model #{model_id} is already being evaluated; follow it below.") in (
        flashes(html)
    )
    lock = app.extensions["lender_evaluations"]._lock_for(model_id)
    with lock:  # as if another evaluation of the model were running right now
        gate.set()
        assert wait_job(app, queued.id).state == JobState.FAILED
    assert "already being evaluated" in jobs.get(queued.id).error
    assert wait_job(app, blocker).state == JobState.DONE
    post_action(client, f"/models/{model_id}/evaluate")
    latest = jobs.recent(kind=job_kind(model_id))[0]
    assert latest.id != queued.id and wait_job(app, latest.id).state == JobState.DONE
    assert jobs.get(latest.id).message == "no pending updates to evaluate"


def test_automatic_evaluation_is_persisted_polls_and_stops(
    market: Market, posted: Callable[..., PostedModel], loan_csvs: dict[str, bytes], tmp_path: Path
) -> None:
    model_id = posted(base="zero", target=0.8).model_id
    app = lender_app(market, tmp_path, AUTO_EVALUATE=True, AUTO_EVALUATE_INTERVAL_S=0.2)
    poller = app.extensions["lender_evaluations"]
    assert poller.running
    client = app.test_client()
    post_action(client, f"/models/{model_id}/auto", enabled="1")
    assert "Automatic evaluation is <strong>on</strong>" in page(client, f"/models/{model_id}")
    owner = market.owner(4)
    sha = owner.add_dataset(loan_csvs["owner2"], name="loans").sha256
    update_id = owner.contribute(model_id, sha, epsilon=2.0, seed=4).update_id
    deadline = time.monotonic() + WAIT_S
    while owner.node.client.get_update(update_id).status == UpdateStatus.PENDING:
        assert time.monotonic() < deadline, "the poller never evaluated the update"
        time.sleep(0.2)
    [job] = app.extensions["fedlend_jobs"].recent(kind=job_kind(model_id))
    assert job.title.endswith("(auto)")
    assert poller.stop(timeout_s=WAIT_S) and not poller.running
    wait_job(app, job.id)

    again = lender_app(market, tmp_path)  # same data dir, new process: the switch is remembered
    assert "Automatic evaluation is <strong>on</strong>" in page(
        again.test_client(), f"/models/{model_id}"
    )
    post_action(client, f"/models/{model_id}/auto", enabled="0")
    second = owner.contribute(model_id, sha, epsilon=2.0, seed=5).update_id
    with app.app_context():
        assert poller.tick() == []  # switched off: nothing is queued
    assert owner.node.client.get_update(second).status == UpdateStatus.PENDING


def test_reclaim_is_refused_before_the_deadline_then_paid_out_to_the_wei(
    market: Market,
    posted: Callable[..., PostedModel],
    tmp_path: Path,
    advance_time: Callable[[int], int],
) -> None:
    bounty = 123_456_789_012_345_678
    model_id = posted(duration=3600, bounty_wei=bounty).model_id
    app = lender_app(market, tmp_path)
    client, node = app.test_client(), market.node(0)
    post_action(client, f"/models/{model_id}/reclaim")
    html = page(client, f"/models/{model_id}")
    [(kind, message)] = flashes(html)
    assert kind == "error" and f"model {model_id} is open until" in message
    assert "reclaim after the deadline" in message and 'id="reclaim"' not in html

    advance_time(3601)
    html = page(client, f"/models/{model_id}")
    assert "pill-expired" in html and "Reclaim 0.123456789012345678 ETH" in html
    owed_before = node.client.owed(node.address)
    post_action(client, f"/models/{model_id}/reclaim")
    html = page(client, f"/models/{model_id}")
    assert (
        "success",
        f"Reclaimed 0.123456789012345678 ETH from model #{model_id}; it is "
        "credited to you: withdraw it on the Account page.",
    ) in flashes(html)
    assert "pill-reclaimed" in html
    owed = node.client.owed(node.address)
    assert owed - owed_before == bounty

    balance = node.balance()
    post_action(client, "/account/withdraw")
    [withdrawn] = node.client.events(names=["Withdrawn"])[-1:]
    assert withdrawn.account == node.address and withdrawn.amount_wei == owed
    receipt = node.client.w3.eth.get_transaction_receipt(withdrawn.at.tx_hash)
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert node.balance() == balance + owed - fee
    html = page(client, "/account/")
    assert any(kind == "success" and "Withdrew" in text for kind, text in flashes(html))
    assert 'id="owed">0 ETH<' in html
    post_action(client, "/account/withdraw")
    [(kind, message)] = flashes(page(client, "/account/"))
    assert kind == "error" and "nothing is owed" in message


def test_another_lenders_bounty_is_shown_read_only(
    market: Market, loan_csvs: dict[str, bytes], tmp_path: Path
) -> None:
    other = market.lender(5)
    model_id = other.post_bounty(
        loan_csvs["lender"],
        title="Someone else's bounty",
        target_score=8000,
        bounty_wei=10**16,
        deadline=other.node.client.chain_time() + 86_400,
    ).model_id
    client = lender_app(market, tmp_path).test_client()
    html = page(client, f"/models/{model_id}")
    assert "another lender's bounty" in html and 'id="evaluate-now"' not in html
    post_action(client, f"/models/{model_id}/evaluate")
    [(kind, message)] = flashes(page(client, f"/models/{model_id}"))
    assert kind == "error" and "not to this account" in message
    home = page(client, "/")
    others = home.split("Other open bounties", 1)[1]
    assert "Someone else&#39;s bounty" in others


def test_unknown_model_is_a_friendly_404(market: Market, tmp_path: Path) -> None:
    html = page(lender_app(market, tmp_path).test_client(), "/models/999", status=404)
    assert "there is no model #999 on this contract" in html


def test_storage_outage_is_explained_on_the_page(
    market: Market, evaluated: Evaluated, tmp_path: Path
) -> None:
    settings = market.settings(0).with_(ipfs_url=dead_rpc_url())
    client = lender_app(market, tmp_path, FEDLEND_SETTINGS=settings).test_client()
    html = page(client, f"/models/{evaluated.model_id}")
    assert "The model spec cannot be fetched" in html and "cannot reach the IPFS node" in html
    assert "pill-accepted" in html  # scores and rewards still come from the chain
    assert "cannot reach the IPFS node" in page(
        client, f"/models/{evaluated.model_id}/model.zip", status=503
    )
