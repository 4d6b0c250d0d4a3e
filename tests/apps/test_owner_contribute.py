"""Owner app, Contribute: review, DP training job, submission on a real chain, budget, deadline."""

from __future__ import annotations

import html
import io
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from eth_typing import HexStr
from flask import Flask
from flask.testing import FlaskClient
from web3 import Web3
from werkzeug.test import TestResponse

from fedlend.errors import JobCancelledError
from fedlend.services.owner import OwnerService
from fedlend.types import UpdateStatus
from fedlend.web import Job, JobRunner, JobState
from fedlend.web.jobs import Progress
from fl.privacy import Spend
from owner_app.connection import owner_service
from owner_app.contribute import train_and_submit
from owner_app.review import ASK_PREFIX
from tests.apps.helpers import assert_no_traceback, build_app, csrf_token, found
from tests.market import Market, PostBounty

WAIT_S = 120.0


@pytest.fixture(scope="module")
def model_id(posted: PostBounty) -> int:
    return posted(target=0.80, bounty_wei=2 * 10**18).model_id


@pytest.fixture
def app(market: Market, tmp_path: Path) -> Iterator[Flask]:
    flask_app = build_app("owner", tmp_path / "owner", FEDLEND_SETTINGS=market.settings(1))
    yield flask_app
    flask_app.extensions["fedlend_jobs"].shutdown()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def sha(client: FlaskClient, loan_csvs: dict[str, bytes]) -> str:
    """owner1's 2,000 real loans kept through the My data page."""
    form = {
        "csrf_token": csrf_token(client, "/data/"),
        "file": (io.BytesIO(loan_csvs["owner1"]), "owner1.csv"),
    }
    response = client.post("/data/", data=form, content_type="multipart/form-data")
    assert response.status_code == 302
    return response.headers["Location"].split("/data/")[1].split("?")[0]


def text(response: TestResponse) -> str:
    body = response.get_data(as_text=True)
    assert_no_traceback(body)
    return html.unescape(body)


def jobs(app: Flask) -> JobRunner:
    return app.extensions["fedlend_jobs"]


def service(app: Flask) -> OwnerService:
    with app.app_context():
        return owner_service()


def start(client: FlaskClient, model: int, sha: str, epsilon: str = "1") -> TestResponse:
    form = {"csrf_token": csrf_token(client), "model": str(model), "dataset": sha}
    return client.post("/contribute/", data={**form, "epsilon": epsilon})


def contribute(app: Flask, client: FlaskClient, model: int, sha: str, epsilon: str = "1") -> Job:
    response = start(client, model, sha, epsilon)
    assert response.status_code == 302, text(response)
    job_id = response.headers["Location"].rsplit("/", 1)[1]
    return wait_submitting(app, client, job_id)


def wait_submitting(app: Flask, client: FlaskClient, job_id: str) -> Job:
    """Wait for a contribution job, answering "Submit anyway" if its own estimate got worse."""
    deadline = time.monotonic() + WAIT_S
    while not (job := jobs(app).get(job_id)).finished and time.monotonic() < deadline:
        if job.message.startswith(ASK_PREFIX):
            form = {"csrf_token": csrf_token(client), "choice": "submit"}
            client.post(f"/contribute/jobs/{job_id}/answer", data=form)
        time.sleep(0.1)
    return jobs(app).wait(job_id, timeout_s=1)


def block_worker(app: Flask) -> threading.Event:
    """Occupy the single job worker until the returned event is set."""
    started, release = threading.Event(), threading.Event()

    def hold(_progress: Progress, _cancelled: Callable[[], bool]) -> None:
        started.set()
        release.wait(WAIT_S)

    jobs(app).submit("hold", hold, title="hold")
    assert started.wait(10)
    return release


def row_of(page: str, update_id: int) -> str:
    match = re.search(rf'<tr data-update="{update_id}".*?</tr>', page, re.S)
    assert match, f"update {update_id} is not listed"
    return match.group(0)


def test_review_shows_the_cost_before_anything_runs(
    client: FlaskClient, model_id: int, sha: str
) -> None:
    page = text(client.get(f"/contribute/?model={model_id}&dataset={sha}&epsilon=0.5"))
    assert "data-review" in page
    assert "Smaller ε = more noise" in page
    planned = re.search(r"data-plan-epsilon>ε ([\d.]+) at δ 1e-05", page)
    assert planned
    assert float(planned.group(1)) == pytest.approx(0.5, rel=0.05)
    assert "owner1.csv: 2,000 loans" in page
    assert f"data-spent-after>ε {float(planned.group(1)):.3g} spent of 10<" in page
    assert 'name="epsilon" value="0.5"' in page


def test_a_contribution_trains_submits_and_shows_its_on_chain_outcome(
    app: Flask, client: FlaskClient, market: Market, model_id: int, sha: str
) -> None:
    job = contribute(app, client, model_id, sha, "1")
    assert job.state == JobState.DONE, job.error
    update_id = job.result["update_id"]
    page = text(client.get(f"/contribute/jobs/{job.id}"))
    assert f"Submitted as update #{update_id}" in page
    spent = re.search(r"data-result-epsilon>ε ([\d.]+) at δ 1e-05", page)
    assert spent
    assert float(spent.group(1)) == pytest.approx(1.0, rel=0.05)
    assert "ROC-AUC on your own loans" in page
    assert "2,000 of your loans" in page

    record = market.node(0).client.get_update(update_id)
    assert record.submitter == market.node(1).address
    assert record.model_id == model_id
    assert record.status == UpdateStatus.PENDING
    row = row_of(text(client.get("/contributions/")), update_id)
    assert 'data-status="pending"' in row
    assert "owner1.csv" in row

    from fedlend.services.evaluation import evaluate_pending

    [verdict] = evaluate_pending(market.lender(), model_id)
    page = text(client.get("/contributions/"))
    row = row_of(page, update_id)
    status = "accepted" if verdict.accepted else "rejected"
    assert f'data-status="{status}"' in row
    assert f'data-reward-wei="{verdict.reward_wei}"' in row
    assert f"{verdict.score / 10_000:.4f}" in row
    recorded = service(app).privacy(sha)[0].epsilon
    assert recorded == pytest.approx(job.result["epsilon"])
    assert 'data-chart="line"' in page
    assert str(round(recorded, 4)) in page


def test_accepted_rewards_are_owed_and_withdrawn_to_the_wei(
    app: Flask, client: FlaskClient, market: Market, model_id: int, sha: str
) -> None:
    job = contribute(app, client, model_id, sha, "0.5")
    assert job.state == JobState.DONE, job.error
    lender = market.node(0).client
    model = lender.get_model(model_id)
    accepted = lender.evaluate_update(
        job.result["update_id"], score=model.best_score + 1, new_weights=model.weights
    ).value
    owner = service(app)
    owed = owner.owed()
    assert owed >= accepted.reward_wei > 0
    page = text(client.get("/contributions/"))
    assert f'data-owed="{owed}"' in page
    before = owner.node.balance()
    response = client.post("/contributions/withdraw", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    page = text(client.get("/contributions/"))
    tx_hash = found(r"Transaction (0x[0-9a-f]{64})", page).group(1)
    receipt = lender.w3.eth.get_transaction_receipt(HexStr(tx_hash))
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert owner.node.balance() == before + owed - fee
    assert owner.owed() == 0
    assert 'data-owed="0"' in page
    again = client.post("/contributions/withdraw", data={"csrf_token": csrf_token(client)})
    assert again.status_code == 302
    page = text(client.get("/contributions/"))
    assert f"Withdrawal refused: nothing is owed to {owner.node.address}" in page
    assert owner.node.balance() == before + owed - fee  # refused at the gas estimate: no fee


def test_an_app_restart_keeps_submissions_and_resyncs_their_status(
    app: Flask, client: FlaskClient, market: Market, model_id: int, sha: str
) -> None:
    job = contribute(app, client, model_id, sha, "0.5")
    assert job.state == JobState.DONE, job.error
    update_id = job.result["update_id"]
    lender = market.node(0).client
    weights = lender.get_model(model_id).weights
    lender.evaluate_update(update_id, score=0, new_weights=weights)
    jobs(app).shutdown()
    restarted = build_app("owner", app.config["DATA_DIR"], FEDLEND_SETTINGS=market.settings(1))
    try:
        fresh = restarted.test_client()
        row = row_of(text(fresh.get("/contributions/")), update_id)
        assert 'data-status="rejected"' in row
        assert "owner1.csv" in row
        assert f"{job.result['epsilon']:.3g}" in row
        assert f"Submitted as update #{update_id}" in text(fresh.get(f"/contribute/jobs/{job.id}"))
    finally:
        restarted.extensions["fedlend_jobs"].shutdown()


def test_the_privacy_budget_is_enforced_with_the_numbers(
    app: Flask, client: FlaskClient, market: Market, model_id: int, sha: str
) -> None:
    token = csrf_token(client)
    client.post(f"/data/{sha}/budget", data={"csrf_token": token, "budget": "1.2"})
    first = contribute(app, client, model_id, sha, "1")
    assert first.state == JobState.DONE, first.error
    updates = market.node(0).client.update_count()
    refused = start(client, model_id, sha, "1")
    assert refused.status_code == 400
    page = text(refused)
    assert re.search(
        r"this training needs epsilon (0\.9\d*|1) \(delta 1e-05\); dataset \w+ has spent "
        r"epsilon (0\.9\d*|1) \(delta 1e-05\) of its budget epsilon 1\.2 \(delta 0\.0001\), "
        r"which would become [\d.]+",
        page,
    ), page
    review = text(client.get(f"/contribute/?model={model_id}&dataset={sha}&epsilon=1"))
    assert "of its budget epsilon 1.2" in review
    assert "data-review" not in review
    assert market.node(0).client.update_count() == updates  # nothing was submitted
    spent = service(app).privacy(sha)[0]
    assert spent.charges == 1
    assert spent.epsilon == pytest.approx(first.result["epsilon"])
    again = client.post(
        "/data/",
        data={"csrf_token": token, "file": (io.BytesIO(loan_csv_bytes(app, sha)), "copy.csv")},
        content_type="multipart/form-data",
    )
    assert again.headers["Location"].startswith(f"/data/{sha}")  # the same file, the same ledger
    assert f"data-spent>{spent.epsilon:.3g}<" in text(client.get(f"/data/{sha}"))


def loan_csv_bytes(app: Flask, sha: str) -> bytes:
    return service(app).dataset_bytes(sha)


def test_a_passed_deadline_is_refused_with_a_clear_message(
    client: FlaskClient, posted: PostBounty, advance_time: Callable[[int], int], sha: str
) -> None:
    short = posted(duration=3600, bounty_wei=10**16).model_id
    assert f'data-model="{short}"' in text(client.get("/bounties/"))
    advance_time(3601)
    refused = start(client, short, sha)
    assert refused.status_code == 400
    assert f"model #{short} (test model) no longer takes updates: its deadline passed" in text(
        refused
    )
    assert f'data-model="{short}"' not in text(client.get("/bounties/"))
    listed = text(client.get("/bounties/?all=1"))
    assert re.search(rf'data-model="{short}" class="bounty-expired"', listed)


def test_a_deadline_passing_while_the_job_waits_fails_it_clearly(
    app: Flask,
    client: FlaskClient,
    market: Market,
    posted: PostBounty,
    advance_time: Callable[[int], int],
    sha: str,
) -> None:
    short = posted(duration=3600, bounty_wei=10**16).model_id
    release = block_worker(app)
    response = start(client, short, sha)
    assert response.status_code == 302
    advance_time(3601)
    release.set()
    job = jobs(app).wait(response.headers["Location"].rsplit("/", 1)[1], timeout_s=WAIT_S)
    assert job.state == JobState.FAILED
    assert job.error == f"model #{short} is expired: it no longer takes updates"
    page = text(client.get(response.headers["Location"]))
    assert job.error in page
    assert "Nothing was submitted" in page
    assert market.node(0).client.updates_of_model(short) == []


def test_a_completed_model_takes_no_more_updates(
    app: Flask, client: FlaskClient, market: Market, posted: PostBounty, sha: str
) -> None:
    done = posted(target=0.8, bounty_wei=10**16)
    job = contribute(app, client, done.model_id, sha, "0.5")
    lender = market.node(0).client
    record = lender.get_model(done.model_id)
    lender.evaluate_update(
        job.result["update_id"], score=record.target_score, new_weights=record.weights
    )
    refused = start(client, done.model_id, sha)
    assert refused.status_code == 400
    assert f"model #{done.model_id} (test model) is completed: it reached its target" in text(
        refused
    )


def test_cancelling_a_queued_contribution_submits_and_charges_nothing(
    app: Flask, client: FlaskClient, market: Market, model_id: int, sha: str
) -> None:
    updates = market.node(0).client.update_count()
    release = block_worker(app)
    response = start(client, model_id, sha)
    job_path = response.headers["Location"]
    job_id = job_path.rsplit("/", 1)[1]
    assert "data-job-state>queued<" in text(client.get(job_path))
    cancel = client.post(
        f"/jobs/{job_id}/cancel", data={"csrf_token": csrf_token(client), "next": job_path}
    )
    assert cancel.status_code == 302
    assert cancel.headers["Location"] == job_path
    release.set()
    assert jobs(app).wait(job_id).state == JobState.CANCELLED
    page = text(client.get(job_path))
    assert "was cancelled." in page
    assert "cancelled before it finished" in page
    assert market.node(0).client.update_count() == updates
    assert service(app).privacy(sha)[0].charges == 0


def test_cancelling_during_training_stops_before_any_charge(
    app: Flask, market: Market, model_id: int, sha: str
) -> None:
    updates = market.node(0).client.update_count()
    with app.app_context(), pytest.raises(JobCancelledError, match="nothing was submitted"):
        train_and_submit(
            lambda _f, _m: None,
            lambda: True,
            model_id=model_id,
            sha256=sha,
            epsilon=1.0,
            metric="ROC-AUC",
        )
    assert service(app).privacy(sha)[0].charges == 0
    assert market.node(0).client.update_count() == updates


def test_a_cancel_after_training_finished_still_submits_the_paid_for_update(
    app: Flask, market: Market, model_id: int, sha: str
) -> None:
    def cancelled_reporter(_fraction: float, _message: str) -> None:
        raise JobCancelledError("the job was cancelled")  # what the job runner does once asked

    with app.app_context():
        result = train_and_submit(
            cancelled_reporter,
            lambda: False,
            model_id=model_id,
            sha256=sha,
            epsilon=0.5,
            metric="ROC-AUC",
        )
    record = market.node(0).client.get_update(result["update_id"])
    assert record.submitter == market.node(1).address
    assert service(app).privacy(sha)[0].charges == 1


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"epsilon": "abc"}, 400, "epsilon must be a number from 0.05 to 50; got 'abc'"),
        ({"epsilon": "0"}, 400, "epsilon must be a number from 0.05 to 50"),
        ({"epsilon": "-1"}, 400, "epsilon must be a number from 0.05 to 50"),
        ({"epsilon": "nan"}, 400, "epsilon must be a number from 0.05 to 50"),
        ({"epsilon": "1e3"}, 400, "epsilon must be a number from 0.05 to 50"),
        ({"model": ""}, 400, "Pick both a bounty and one of your datasets"),
        ({"dataset": ""}, 400, "Pick both a bounty and one of your datasets"),
        ({"model": "999"}, 400, "model 999 does not exist"),
        ({"model": "x"}, 400, "'x' is not a model id"),
        ({"dataset": "f" * 64}, 404, "not on this machine"),
        ({"csrf_token": ""}, 400, "This form expired"),
    ],
)
def test_bad_contribute_forms_are_refused_and_start_nothing(
    app: Flask,
    client: FlaskClient,
    model_id: int,
    sha: str,
    change: dict[str, str],
    status: int,
    message: str,
) -> None:
    form = {"csrf_token": csrf_token(client), "model": str(model_id), "dataset": sha}
    response = client.post("/contribute/", data={**form, "epsilon": "1", **change})
    assert response.status_code == status
    assert message in text(response)
    assert jobs(app).recent(kind="contribute") == []


def test_a_contribution_job_is_charged_under_its_job_id_once(
    app: Flask, client: FlaskClient, model_id: int, sha: str
) -> None:
    job = contribute(app, client, model_id, sha, "1")
    assert job.state == JobState.DONE, job.error
    owner = service(app)
    ledger, address = owner.ledger, owner.node.address
    with sqlite3.connect(ledger.path) as db:
        keys = [r[0] for r in db.execute("SELECT key FROM charges WHERE dataset = ?", (sha,))]
    assert f"job:{job.id}" in keys
    [charge] = [c for c in ledger.history(address, sha) if c.note == f"model {model_id}"][-1:]
    before = ledger.spent(address, sha)
    again = ledger.charge(  # the same job retried books nothing more
        address,
        sha,
        Spend(charge.epsilon, charge.delta, charge.mechanism),
        key=f"job:{job.id}",
    )
    assert again.epsilon == pytest.approx(before.epsilon)
    assert ledger.spent(address, sha).charges == before.charges


def test_a_submission_lost_by_a_chain_restart_says_so_and_keeps_its_epsilon(
    app: Flask, client: FlaskClient, model_id: int, sha: str, w3: Web3
) -> None:
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    job = contribute(app, client, model_id, sha, "1")
    assert job.state == JobState.DONE, job.error
    owner = service(app)
    spent = owner.privacy(sha)[0]
    page = text(client.get(f"/contribute/jobs/{job.id}"))
    assert "data-lost" not in page  # still on chain: nothing to say
    assert w3.provider.make_request("evm_revert", [snapshot])["result"] is True  # type: ignore[arg-type]
    page = text(client.get(f"/contribute/jobs/{job.id}"))
    lost = found(r"data-lost>([^<]+)<", page).group(1)
    assert f"update #{job.result['update_id']} was submitted" in lost
    assert f"ε {job.result['epsilon']:.3g} charged for it stays charged" in lost
    assert jobs(app).get(job.id).state == JobState.FAILED
    assert owner.privacy(sha)[0].epsilon == pytest.approx(spent.epsilon)  # shown, not refunded
    assert owner.privacy(sha)[0].charges == spent.charges
