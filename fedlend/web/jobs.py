"""Background jobs for long work (training, evaluation): worker threads, progress kept in SQLite."""

from __future__ import annotations

import json
import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from fedlend.errors import FedlendError, JobCancelledError, NotFoundError, WalletRejectedError
from fedlend.web.db import Database
from fedlend.web.job_records import (
    MIGRATIONS,
    Job,
    JobState,
    Reporter,
    dump_result,
    job_from_row,
)
from fedlend_core.progress import Progress

log = logging.getLogger(__name__)

INTERRUPTED_MESSAGE = "interrupted by restart: the app stopped while this job ran; start it again"
CANCELLED_MESSAGE = "cancelled by user"

_CURRENT = threading.local()  # the job the current worker thread runs: (id, owner, cancelled)


def current_job() -> tuple[str, str, Callable[[], bool]] | None:
    """(job id, owner address, cancelled) of the job this thread runs, else None."""
    return getattr(_CURRENT, "job", None)


JobFn = Callable[[Progress, Callable[[], bool]], Any]


class JobRunner:
    """Runs job functions on worker threads; every state change is written to SQLite at once.

    `fn(progress, cancelled)` does the work: call `progress(fraction, message)` now and then
    (it raises JobCancelledError once a cancel was asked for, which ends the job as cancelled)
    and check `cancelled()` in loops that do not report progress. Whatever fn returns is stored
    as the job's result (JSON; anything else is stored as its str()). A FedlendError ends the
    job as failed with its message; any other exception fails it with a generic message and the
    traceback goes to the server log only. `context` (make_app passes `app.app_context`)
    wraps each run, so job functions may use current_app, get_db() and get_settings().
    Only one runner should own a database: a new runner marks unfinished jobs interrupted.
    `owner` names the account acting now (lower-case address, '' for none): a job belongs to
    the account that started it, and get()/recent() show another account's jobs to no one.
    """

    def __init__(
        self,
        db: Database,
        *,
        workers: int = 1,
        min_interval_s: float = 0.2,
        name: str = "jobs",
        context: Callable[[], AbstractContextManager[object]] | None = None,
        owner: Callable[[], str] | None = None,
    ) -> None:
        self.db = db
        self._owner = owner or (lambda: "")
        self._context = context or nullcontext
        self._workers = workers
        self._min_interval_s = min_interval_s
        self._name = name
        self._queue: queue.Queue[tuple[str, JobFn] | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._cancel_events: dict[str, threading.Event] = {}
        db.migrate("jobs", MIGRATIONS)
        self._mark_interrupted()

    def submit(self, kind: str, fn: JobFn, *, title: str = "") -> str:
        """Queue fn to run on a worker thread; return the new job's id."""
        job_id = secrets.token_hex(8)
        self.db.execute(
            "INSERT INTO jobs (id, kind, title, state, created_at, owner)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (job_id, kind, title or kind, JobState.QUEUED, time.time(), self._owner().lower()),
        )
        with self._lock:
            self._cancel_events[job_id] = threading.Event()
            self._start_workers()
        self._queue.put((job_id, fn))
        return job_id

    def get(self, job_id: str) -> Job:
        """The job's current state; NotFoundError if there is no such job."""
        row = self.db.query_one(
            "SELECT * FROM jobs WHERE id = ? AND owner = ?", (job_id, self._owner().lower())
        )
        if row is None:
            raise NotFoundError(f"no job {job_id!r}: it may belong to another app or data dir")
        return job_from_row(row)

    def recent(self, *, kind: str | None = None, limit: int = 20) -> list[Job]:
        """The most recent jobs, newest first, optionally of one kind."""
        owner = self._owner().lower()
        if kind is None:
            rows = self.db.query(
                "SELECT * FROM jobs WHERE owner = ? ORDER BY created_at DESC LIMIT ?",
                (owner, limit),
            )
        else:
            rows = self.db.query(
                "SELECT * FROM jobs WHERE kind = ? AND owner = ? ORDER BY created_at DESC LIMIT ?",
                (kind, owner, limit),
            )
        return [job_from_row(row) for row in rows]

    def done_with_tx(self, *, limit: int = 50) -> list[Job]:
        """The newest done jobs (of every account) whose result names a transaction."""
        rows = self.db.query(
            "SELECT * FROM jobs WHERE state = ? AND result LIKE ? ORDER BY created_at DESC LIMIT ?",
            (JobState.DONE, '%"tx_hash"%', limit),
        )
        return [job_from_row(row) for row in rows]

    def mark_lost(self, job_id: str, note: str) -> None:
        """A done job whose transaction the chain no longer holds: failed, with `note` saying
        what was lost; its result is kept (with the note) so the page still shows it."""
        row = self.db.query_one("SELECT result FROM jobs WHERE id = ?", (job_id,))
        result = json.loads(row["result"]) if row and row["result"] else {}
        if isinstance(result, dict):
            result["lost"] = note
        self.db.execute(
            "UPDATE jobs SET state = ?, error = ?, result = ? WHERE id = ? AND state = ?",
            (JobState.FAILED, note, dump_result(result), job_id, JobState.DONE),
        )

    def cancel(self, job_id: str) -> Job:
        """Ask a job to stop: a queued job is cancelled at once, a running one at its next check."""
        job = self.get(job_id)
        if job.finished:
            return job
        with self.db.transaction() as conn:
            conn.execute("UPDATE jobs SET cancel_requested = 1 WHERE id = ?", (job_id,))
            conn.execute(
                "UPDATE jobs SET state = ?, message = ?, finished_at = ?"
                " WHERE id = ? AND state = ?",
                (JobState.CANCELLED, CANCELLED_MESSAGE, time.time(), job_id, JobState.QUEUED),
            )
        event = self._cancel_events.get(job_id)
        if event is not None:
            event.set()
        return self.get(job_id)

    def wait(self, job_id: str, *, timeout_s: float = 60.0, poll_s: float = 0.02) -> Job:
        """Block until the job is finished (for the CLI and tests); TimeoutError after timeout_s."""
        deadline = time.monotonic() + timeout_s
        while True:
            job = self.get(job_id)
            if job.finished:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job.state} after {timeout_s} s")
            time.sleep(poll_s)

    def shutdown(self, *, cancel: bool = True) -> None:
        """Stop the workers (after their current job); with cancel, ask running jobs to stop."""
        if cancel:
            for event in list(self._cancel_events.values()):
                event.set()
        with self._lock:
            for _ in self._threads:
                self._queue.put(None)
            self._threads = []

    # --- worker side ------------------------------------------------------------------
    def _start_workers(self) -> None:
        while len(self._threads) < self._workers:
            thread = threading.Thread(
                target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _work(self) -> None:
        try:
            while (item := self._queue.get()) is not None:
                self._run(*item)
        finally:
            self.db.close()

    def _run(self, job_id: str, fn: JobFn) -> None:
        event = self._cancel_events.setdefault(job_id, threading.Event())
        row = self.db.query_one("SELECT owner FROM jobs WHERE id = ?", (job_id,))
        _CURRENT.job = (job_id, row["owner"] if row else "", event.is_set)
        started = self.db.execute(
            "UPDATE jobs SET state = ?, started_at = ? WHERE id = ? AND state = ?",
            (JobState.RUNNING, time.time(), job_id, JobState.QUEUED),
        ).rowcount
        if not started:  # cancelled while queued
            self._cancel_events.pop(job_id, None)
            return
        reporter = Reporter(self.db, job_id, event, min_interval_s=self._min_interval_s)
        try:
            with self._context():
                result = fn(reporter, event.is_set)
        except WalletRejectedError as exc:
            self._finish(job_id, JobState.CANCELLED, message=str(exc))
        except JobCancelledError:
            self._finish(job_id, JobState.CANCELLED, message=CANCELLED_MESSAGE)
        except FedlendError as exc:
            self._finish(job_id, JobState.FAILED, error=str(exc) or type(exc).__name__)
        except Exception:
            incident = secrets.token_hex(4)
            log.exception("job %s (%s) failed, incident %s", job_id, fn, incident)
            self._finish(job_id, JobState.FAILED, error=_generic_error(incident))
        else:
            if event.is_set():
                self._finish(job_id, JobState.CANCELLED, message=CANCELLED_MESSAGE, result=result)
            else:
                self._finish(job_id, JobState.DONE, result=result)
        finally:
            _CURRENT.job = None
            self._cancel_events.pop(job_id, None)

    def _finish(
        self,
        job_id: str,
        state: JobState,
        *,
        message: str | None = None,
        error: str | None = None,
        result: Any = None,
    ) -> None:
        self.db.execute(
            "UPDATE jobs SET state = ?, error = ?, result = ?, finished_at = ?,"
            " message = COALESCE(?, message),"
            " progress = CASE WHEN ? THEN 1.0 ELSE progress END WHERE id = ? AND state = ?",
            (
                state,
                error,
                dump_result(result),
                time.time(),
                message,
                state == JobState.DONE,
                job_id,
                JobState.RUNNING,  # a job marked interrupted by a newer runner stays so
            ),
        )

    def _mark_interrupted(self) -> None:
        self.db.execute(
            "UPDATE jobs SET state = ?, error = ?, finished_at = ? WHERE state IN (?, ?)",
            (JobState.FAILED, INTERRUPTED_MESSAGE, time.time(), JobState.QUEUED, JobState.RUNNING),
        )


def _generic_error(incident: str) -> str:
    return f"an unexpected error stopped this job (incident {incident}); the server log has details"
