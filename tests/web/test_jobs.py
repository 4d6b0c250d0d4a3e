"""The background job runner on real threads and a real SQLite file, and its polling endpoints."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask, render_template_string

from fedlend.errors import DataError, JobCancelledError, NotFoundError, PrivacyBudgetError
from fedlend.web.db import Database
from fedlend.web.jobs import CANCELLED_MESSAGE, INTERRUPTED_MESSAGE, JobRunner, JobState
from tests.apps.helpers import assert_no_traceback, build_app, csrf_token, json_body, one_row

WAIT_S = 10.0


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database(tmp_path / "jobs.sqlite3")


@pytest.fixture
def runner(db: Database) -> Iterator[JobRunner]:
    jobs = JobRunner(db, min_interval_s=0.0)
    yield jobs
    jobs.shutdown()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    flask_app = build_app("owner", tmp_path)
    yield flask_app
    flask_app.extensions["fedlend_jobs"].shutdown()


def until(predicate: Callable[[], bool], *, timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def paused_job(reached: threading.Event, release: threading.Event) -> Callable[..., object]:
    def fn(progress: Callable[..., None], _cancelled: Callable[[], bool]) -> dict[str, int]:
        progress(0.5, "epoch 1 of 2")
        reached.set()
        assert release.wait(WAIT_S)
        progress(0.9, "epoch 2 of 2")
        return {"update_id": 3}

    return fn


def test_progress_is_visible_mid_run_through_the_endpoint(app: Flask) -> None:
    reached, release = threading.Event(), threading.Event()
    jobs = app.extensions["fedlend_jobs"]
    job_id = jobs.submit("train", paused_job(reached, release), title="Train model 1")
    assert reached.wait(WAIT_S)
    client = app.test_client()
    body = json_body(client.get(f"/jobs/{job_id}"))
    assert body["state"] == "running"
    assert body["finished"] is False
    assert body["progress"] == 0.5
    assert body["message"] == "epoch 1 of 2"
    assert body["title"] == "Train model 1"
    assert body["kind"] == "train"
    release.set()
    done = jobs.wait(job_id, timeout_s=WAIT_S)
    assert done.state == JobState.DONE
    assert done.progress == 1.0
    body = json_body(client.get(f"/jobs/{job_id}"))
    assert body["state"] == "done"
    assert body["finished"] is True
    assert body["result"] == {"update_id": 3}
    assert body["error"] is None
    assert client.get(f"/jobs/{job_id}").headers["Cache-Control"] == "no-store"


def test_progress_survives_in_sqlite_for_another_reader(db: Database, runner: JobRunner) -> None:
    reached, release = threading.Event(), threading.Event()
    job_id = runner.submit("evaluate", paused_job(reached, release))
    assert reached.wait(WAIT_S)
    other = Database(db.path)  # another connection, as another request or process would have
    row = one_row(other, "SELECT state, progress, message FROM jobs WHERE id = ?", (job_id,))
    assert tuple(row) == ("running", 0.5, "epoch 1 of 2")
    release.set()
    runner.wait(job_id)


def test_cancel_stops_a_running_job_at_its_next_progress_call(app: Flask) -> None:
    steps: list[int] = []

    def endless(progress: Callable[..., None], _cancelled: Callable[[], bool]) -> None:
        for step in range(100_000):
            steps.append(step)
            progress(step / 100_000, f"batch {step}")
            time.sleep(0.005)

    jobs = app.extensions["fedlend_jobs"]
    job_id = jobs.submit("train", endless, title="Long training")
    until(lambda: len(steps) > 3)
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(f"/jobs/{job_id}/cancel", data={"csrf_token": token, "next": "/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    job = jobs.wait(job_id, timeout_s=WAIT_S)
    assert job.state == JobState.CANCELLED
    assert job.message == CANCELLED_MESSAGE
    assert job.cancel_requested
    assert len(steps) < 100_000
    page = client.get("/").get_data(as_text=True)
    assert "Long training" in page  # the flash message and the job list both name it


def test_cancel_honoured_by_a_job_that_only_checks_cancelled(runner: JobRunner) -> None:
    started = threading.Event()

    def quiet(_progress: Callable[..., None], cancelled: Callable[[], bool]) -> str:
        started.set()
        until(cancelled)
        return "stopped early"

    job_id = runner.submit("evaluate", quiet)
    assert started.wait(WAIT_S)
    runner.cancel(job_id)
    job = runner.wait(job_id)
    assert job.state == JobState.CANCELLED
    assert job.result == "stopped early"


def test_cancel_of_a_queued_job_means_it_never_runs(runner: JobRunner) -> None:
    reached, release = threading.Event(), threading.Event()
    first = runner.submit("train", paused_job(reached, release))
    assert reached.wait(WAIT_S)
    ran: list[bool] = []
    second = runner.submit("train", lambda _progress, _cancelled: ran.append(True))
    assert runner.get(second).state == JobState.QUEUED  # one worker: it waits its turn
    assert runner.cancel(second).state == JobState.CANCELLED
    release.set()
    assert runner.wait(first).state == JobState.DONE
    third = runner.submit("train", lambda _progress, _cancelled: "ok")
    assert runner.wait(third).result == "ok"  # the worker went past the cancelled job
    assert ran == []
    assert runner.get(second).state == JobState.CANCELLED


def test_cancel_as_json_and_of_a_finished_job(app: Flask) -> None:
    jobs = app.extensions["fedlend_jobs"]
    job_id = jobs.submit("train", lambda _progress, _cancelled: 42)
    jobs.wait(job_id)
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        f"/jobs/{job_id}/cancel",
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert response.status_code == 200
    assert json_body(response)["state"] == "done"
    assert json_body(response)["result"] == 42


def test_cancel_needs_a_csrf_token(app: Flask) -> None:
    reached, release = threading.Event(), threading.Event()
    jobs = app.extensions["fedlend_jobs"]
    job_id = jobs.submit("train", paused_job(reached, release))
    assert reached.wait(WAIT_S)
    response = app.test_client().post(f"/jobs/{job_id}/cancel")
    assert response.status_code == 400
    release.set()
    assert jobs.wait(job_id).state == JobState.DONE


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (
            DataError("loans.csv lacks 'int_rate': export it again"),
            "loans.csv lacks 'int_rate': export it again",
        ),
        (
            PrivacyBudgetError("epsilon 8.1 > budget 8: lower the epochs"),
            "epsilon 8.1 > budget 8: lower the epochs",
        ),
    ],
)
def test_fedlend_error_fails_the_job_with_its_message(
    runner: JobRunner, error: Exception, shown: str
) -> None:
    def fails(progress: Callable[..., None], _cancelled: Callable[[], bool]) -> None:
        progress(0.3, "training")
        raise error

    job = runner.wait(runner.submit("train", fails))
    assert job.state == JobState.FAILED
    assert job.error == shown
    assert job.progress == 0.3
    assert job.finished_at is not None


def test_job_cancelled_error_cancels_the_job_without_an_error(runner: JobRunner) -> None:
    def stops(progress: Callable[..., None], _cancelled: Callable[[], bool]) -> None:
        progress(0.3, "training")
        raise JobCancelledError("stop")

    job = runner.wait(runner.submit("train", stops))
    assert job.state == JobState.CANCELLED
    assert job.error is None
    assert job.message == CANCELLED_MESSAGE
    assert job.finished_at is not None


@pytest.mark.parametrize("error", [RuntimeError("key 0xdeadbeef in /srv/x.py"), MemoryError()])
def test_unexpected_error_fails_the_job_with_a_generic_message(
    runner: JobRunner, error: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    def crashes(_progress: Callable[..., None], _cancelled: Callable[[], bool]) -> None:
        raise error

    with caplog.at_level(logging.ERROR, logger="fedlend.web.jobs"):
        job = runner.wait(runner.submit("evaluate", crashes))
    assert job.state == JobState.FAILED
    assert job.error is not None
    assert job.error.startswith("an unexpected error stopped this job (incident ")
    assert "deadbeef" not in job.error
    assert "x.py" not in job.error
    incident = job.error.split("incident ")[1][:8]
    assert any(incident in r.getMessage() and r.exc_info for r in caplog.records)


def test_failure_message_is_shown_on_the_page(app: Flask) -> None:
    jobs = app.extensions["fedlend_jobs"]

    def fails(_progress: Callable[..., None], _cancelled: Callable[[], bool]) -> None:
        raise DataError("the CSV has no 'default' column: add the target column")

    job_id = jobs.submit("train", fails, title="Train on loans.csv")
    jobs.wait(job_id)
    html = app.test_client().get("/").get_data(as_text=True)
    assert "the CSV has no &#39;default&#39; column: add the target column" in html
    assert f'id="job-{job_id}"' in html
    assert "data-job-url" not in html  # finished: no polling
    assert_no_traceback(html)


def test_active_job_box_polls_and_offers_cancel(app: Flask) -> None:
    reached, release = threading.Event(), threading.Event()
    jobs = app.extensions["fedlend_jobs"]
    job_id = jobs.submit("train", paused_job(reached, release), title="Train model 9")
    assert reached.wait(WAIT_S)
    html = app.test_client().get("/").get_data(as_text=True)
    assert f'data-job-url="/jobs/{job_id}"' in html
    assert f'action="/jobs/{job_id}/cancel"' in html
    progress = 'data-job-progress aria-label="Train model 9: progress">50%</progress>'
    assert '<progress max="1" value="0.5" ' + progress in html
    release.set()
    jobs.wait(job_id)


def test_restart_marks_running_and_queued_jobs_interrupted(db: Database) -> None:
    first_runner = JobRunner(db)
    reached, release = threading.Event(), threading.Event()
    running = first_runner.submit("train", paused_job(reached, release))
    assert reached.wait(WAIT_S)
    queued = first_runner.submit("train", lambda _progress, _cancelled: None)
    restarted = JobRunner(Database(db.path))
    for job_id in (running, queued):
        job = restarted.get(job_id)
        assert job.state == JobState.FAILED
        assert job.error == INTERRUPTED_MESSAGE
    assert first_runner.get(running).state == JobState.FAILED
    release.set()  # the old worker finishing late must not resurrect its job
    until(lambda: not first_runner._cancel_events)
    assert restarted.get(running).state == JobState.FAILED
    first_runner.shutdown()


def test_a_finished_job_is_untouched_by_a_restart(db: Database) -> None:
    runner = JobRunner(db)
    job_id = runner.submit("train", lambda _progress, _cancelled: {"auc": 0.71})
    runner.wait(job_id)
    runner.shutdown()
    job = JobRunner(Database(db.path)).get(job_id)
    assert job.state == JobState.DONE
    assert job.result == {"auc": 0.71}


def test_unknown_job_is_a_404_in_json_and_html(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/jobs/nope", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert "no job 'nope'" in json_body(response)["error"]
    token = csrf_token(client)
    response = client.post("/jobs/nope/cancel", data={"csrf_token": token})
    assert response.status_code == 404
    with pytest.raises(NotFoundError, match="no job"):
        app.extensions["fedlend_jobs"].get("nope")


def test_non_json_results_are_stored_as_text(runner: JobRunner) -> None:
    job = runner.wait(runner.submit("x", lambda _progress, _cancelled: {"path": Path("/a/b")}))
    assert job.result == {"path": "/a/b"}


def test_progress_is_clamped_and_throttled(db: Database) -> None:
    runner = JobRunner(db, min_interval_s=60.0)
    seen: list[tuple[float, str]] = []

    def chatty(progress: Callable[..., None], _cancelled: Callable[[], bool]) -> None:
        progress(-1.0, "start")
        seen.append(_progress(db))
        for _ in range(50):
            progress(0.7, "start")  # same message inside the interval: not written
        seen.append(_progress(db))
        progress(7.0, "next phase")  # a new message is always written
        seen.append(_progress(db))

    runner.wait(runner.submit("x", chatty))
    assert seen == [(0.0, "start"), (0.0, "start"), (1.0, "next phase")]
    runner.shutdown()


def test_recent_lists_newest_first_by_kind(runner: JobRunner) -> None:
    ids = [runner.submit(kind, lambda _p, _c: None) for kind in ("train", "eval", "train")]
    for job_id in ids:
        runner.wait(job_id)
    assert [j.id for j in runner.recent()] == ids[::-1]
    assert [j.id for j in runner.recent(kind="train")] == [ids[2], ids[0]]
    assert [j.id for j in runner.recent(limit=1)] == [ids[2]]


def test_job_macro_renders_in_a_template(app: Flask) -> None:
    jobs = app.extensions["fedlend_jobs"]
    job = jobs.wait(jobs.submit("train", lambda _p, _c: None, title="<b>t</b>"))
    with app.test_request_context("/"):
        html = render_template_string(
            '{% from "_macros.html" import job_progress %}{{ job_progress(job) }}', job=job
        )
    assert "&lt;b&gt;t&lt;/b&gt;" in html
    assert "job-done" in html


def _progress(db: Database) -> tuple[float, str]:
    row = one_row(db, "SELECT progress, message FROM jobs")
    return (row["progress"], row["message"])


def test_jobs_run_inside_the_app_context(app: Flask) -> None:
    from flask import current_app

    from fedlend.web import get_db, get_settings

    def uses_app(_progress: Callable[..., None], _cancelled: Callable[[], bool]) -> list[str]:
        rows = get_db().query("SELECT count(*) FROM jobs")
        return [current_app.config["APP_SLUG"], str(get_settings().home), str(rows[0][0])]

    jobs = app.extensions["fedlend_jobs"]
    job = jobs.wait(jobs.submit("x", uses_app))
    assert job.state == JobState.DONE, job.error
    assert job.result == ["owner", str(app.config["FEDLEND_SETTINGS"].home), "1"]
