"""The lender app evaluating real updates on Anvil: now, automatically, never twice at once."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from pathlib import Path

from fedlend.services.lender import PostedModel
from fedlend.types import UpdateStatus
from fedlend.web import JobState
from fl.train import TrainConfig
from lender_app.evaluations import job_kind
from tests.apps.lender_support import (
    WAIT_S,
    flashes,
    lender_app,
    page,
    post_action,
    update_row,
    wait_job,
)
from tests.market import Market


def test_evaluate_now_judges_a_real_contribution_and_pays_it(
    market: Market, posted: Callable[..., PostedModel], loan_csvs: dict[str, bytes], tmp_path: Path
) -> None:
    model_id = posted(target=0.8, bounty_wei=2 * 10**18, base="zero").model_id
    owner = market.owner(3)
    sha = owner.add_dataset(loan_csvs["owner1"], name="loans").sha256
    update_id = owner.contribute(model_id, sha, TrainConfig(2.0, seed=1)).update_id
    app = lender_app(market, tmp_path)
    client = app.test_client()
    html = page(client, f"/models/{model_id}")
    assert "Evaluate 1 pending update now" in html
    assert "awaiting evaluation" in html
    owed_before = owner.owed()

    post_action(client, f"/models/{model_id}/evaluate")
    [job] = app.extensions["fedlend_jobs"].recent(kind=job_kind(model_id))
    job = wait_job(app, job.id)
    assert job.state == JobState.DONE, job.error
    record = owner.node.client.get_update(update_id)
    assert record.status == UpdateStatus.ACCEPTED
    assert record.reward_wei > 0
    tx_hash = job.result.pop("tx_hash")  # the evaluateRound, re-checked after a restart
    assert job.result == {"evaluated": 1, "accepted": 1, "paid_wei": str(record.reward_wei)}
    assert owner.node.client.w3.eth.get_transaction_receipt(tx_hash)["status"] == 1
    assert owner.owed() - owed_before == record.reward_wei
    html = page(client, f"/models/{model_id}")
    assert ("info", f"Evaluating model #{model_id}'s pending updates in the background.") in (
        flashes(html)
    )
    assert "1 accepted" in html
    assert "pill-accepted" in update_row(html, update_id)
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
    row = update_row(page(client, f"/models/{model_id}"), update_id)
    assert "pill-rejected" in row
    assert "refused:" in row
    assert "0 ETH" in row
    assert forger.client.get_update(update_id).status == UpdateStatus.REJECTED


def test_evaluations_of_one_model_never_overlap(
    market: Market, posted: Callable[..., PostedModel], tmp_path: Path
) -> None:
    model_id = posted().model_id
    app = lender_app(market, tmp_path)
    jobs, client = app.extensions["fedlend_jobs"], app.test_client()
    gate = threading.Event()
    blocker = jobs.submit("block", lambda _progress, _cancelled: gate.wait(WAIT_S))
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
    assert latest.id != queued.id
    assert wait_job(app, latest.id).state == JobState.DONE
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
    update_id = owner.contribute(model_id, sha, TrainConfig(2.0, seed=4)).update_id
    deadline = time.monotonic() + WAIT_S
    while owner.node.client.get_update(update_id).status == UpdateStatus.PENDING:
        assert time.monotonic() < deadline, "the poller never evaluated the update"
        time.sleep(0.2)
    [job] = app.extensions["fedlend_jobs"].recent(kind=job_kind(model_id))
    assert job.title.endswith("(auto)")
    assert poller.stop(timeout_s=WAIT_S)
    assert not poller.running
    wait_job(app, job.id)

    again = lender_app(market, tmp_path)  # same data dir, new process: the switch is remembered
    assert "Automatic evaluation is <strong>on</strong>" in page(
        again.test_client(), f"/models/{model_id}"
    )
    post_action(client, f"/models/{model_id}/auto", enabled="0")
    second = owner.contribute(model_id, sha, TrainConfig(2.0, seed=5)).update_id
    with app.app_context():
        assert poller.tick() == []  # switched off: nothing is queued
    assert owner.node.client.get_update(second).status == UpdateStatus.PENDING


def test_the_poller_ends_with_its_app(market: Market, tmp_path: Path) -> None:
    app = lender_app(market, tmp_path, AUTO_EVALUATE=True, AUTO_EVALUATE_INTERVAL_S=0.05)
    thread = app.extensions["lender_evaluations"]._thread
    assert thread is not None
    assert thread.is_alive()
    del app
    gc.collect()
    thread.join(WAIT_S)
    assert not thread.is_alive()
