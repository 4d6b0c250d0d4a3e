"""Evaluating pending updates in the background: on demand, and automatically by a poller.

One `Evaluations` per app (app.extensions["lender_evaluations"]) keeps the per-model automatic
switches in the app's SQLite, one lock per model (two evaluations of one model never overlap,
whatever started them) and the poller thread that, every AUTO_EVALUATE_INTERVAL_S, queues an
evaluation job for each switched-on open model with pending updates.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Flask, current_app

from fedlend.errors import FedlendError
from fedlend.services.evaluation import evaluate_pending
from fedlend.services.lender import LenderService
from fedlend.web import Job, JobState, get_db, get_jobs
from fedlend.web.filters import eth_rounded
from lender_app.context import get_lender

log = logging.getLogger(__name__)
EXTENSION = "lender_evaluations"
MIGRATIONS = [
    """CREATE TABLE auto_evaluate (
        contract TEXT NOT NULL,
        model_id INTEGER NOT NULL,
        enabled INTEGER NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (contract, model_id)
    )""",
]


def job_kind(model_id: int) -> str:
    """The job kind of a model's evaluation jobs (one kind per model, so pages can find them)."""
    return f"evaluate-{model_id}"


def contract_key(lender: LenderService) -> str:
    """Which chain and contract a setting belongs to: '<chain id>:<address>'."""
    return f"{lender.node.chain_id}:{lender.node.contract.lower()}"


def get_evaluations() -> Evaluations:
    """The current app's Evaluations."""
    return current_app.extensions[EXTENSION]


class Evaluations:
    """Automatic-evaluation switches, per-model locks and the poller of one lender app."""

    def __init__(self, app: Flask, *, interval_s: float, retry_s: float) -> None:
        self._app = weakref.ref(app)  # the poller must not keep a discarded app alive
        self.interval_s = interval_s
        self.retry_s = retry_s  # after an automatic run failed, wait this long before retrying
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        app.extensions["fedlend_db"].migrate("lender_auto_evaluate", MIGRATIONS)
        app.extensions[EXTENSION] = self

    # --- switches ------------------------------------------------------------------------------
    def auto_enabled(self, lender: LenderService, model_id: int) -> bool:
        """Whether automatic evaluation is on for a model."""
        row = get_db().query_one(
            "SELECT enabled FROM auto_evaluate WHERE contract = ? AND model_id = ?",
            (contract_key(lender), model_id),
        )
        return bool(row and row["enabled"])

    def set_auto(self, lender: LenderService, model_id: int, *, enabled: bool) -> None:
        """Switch automatic evaluation on or off for a model (kept across restarts)."""
        get_db().execute(
            "INSERT OR REPLACE INTO auto_evaluate (contract, model_id, enabled, updated_at)"
            " VALUES (?, ?, ?, ?)",
            (contract_key(lender), model_id, int(enabled), time.time()),
        )

    # --- running -------------------------------------------------------------------------------
    def submit(self, model_id: int, *, auto: bool = False) -> tuple[str | None, bool]:
        """Queue an evaluation of a model: (job id, newly queued?).

        An evaluation already queued or running is reused, not doubled. An automatic request is
        skipped (None, False) while a failed run is younger than `retry_s`.
        """
        jobs = get_jobs()
        with self._guard:
            last = next(iter(jobs.recent(kind=job_kind(model_id), limit=1)), None)
            if last is not None and last.active:
                return last.id, False
            if auto and _failed_recently(last, self.retry_s):
                return None, False
            title = f"Evaluate model #{model_id}'s pending updates" + (" (auto)" if auto else "")
            job_id = jobs.submit(
                job_kind(model_id), partial(self.run, model_id=model_id), title=title
            )
        return job_id, True

    def run(
        self, progress: Callable[..., None], cancelled: Callable[[], bool], *, model_id: int
    ) -> dict[str, Any]:
        """The job: evaluate the model's pending updates, holding the model's lock throughout."""
        lock = self._lock_for(model_id)
        if not lock.acquire(blocking=False):
            raise FedlendError(
                f"model #{model_id} is already being evaluated; wait for that run to finish"
            )
        try:
            results = evaluate_pending(get_lender(), model_id, progress=progress, cancel=cancelled)
        finally:
            lock.release()
        accepted = [r for r in results if r.accepted]
        paid = sum(r.reward_wei for r in accepted)
        summary = (
            f"evaluated {len(results)} update(s): {len(accepted)} accepted "
            f"({eth_rounded(paid)} paid), {len(results) - len(accepted)} rejected"
        )
        proven = [r.prove_seconds for r in results if r.prove_seconds is not None]
        if proven:  # a verified model: the round carried a zero-knowledge proof of its score
            summary += f"; the score was proven in zero knowledge ({proven[0]:.0f} s)"
        progress(1.0, summary if results else "no pending updates to evaluate")
        done = {"evaluated": len(results), "accepted": len(accepted), "paid_wei": str(paid)}
        done |= {"proven": True} if proven else {}
        return done | ({"tx_hash": results[0].tx_hash} if results else {})

    def _lock_for(self, model_id: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(model_id, threading.Lock())

    # --- poller --------------------------------------------------------------------------------
    def tick(self) -> list[str]:
        """One poll (inside an app context): queue evaluations where due; return their job ids."""
        rows = get_db().query("SELECT contract, model_id FROM auto_evaluate WHERE enabled = 1")
        if not rows:
            return []  # nothing switched on: do not even touch the chain
        lender = get_lender()
        key = contract_key(lender)
        queued = []
        for model_id in sorted(int(r["model_id"]) for r in rows if r["contract"] == key):
            if lender.awaits_evaluation(model_id):
                job_id, new = self.submit(model_id, auto=True)
                if job_id is not None and new:
                    queued.append(job_id)
        return queued

    def start(self) -> None:
        """Start the poller thread (idempotent); it stops with stop() or at interpreter exit."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="lender-autoeval", daemon=True)
        self._thread.start()
        atexit.register(self.stop)

    def stop(self, *, timeout_s: float = 10.0) -> bool:
        """Stop the poller (after its current tick); True once the thread has ended."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
            if thread.is_alive():
                return False
        self._thread = None
        return True

    @property
    def running(self) -> bool:
        """Whether the poller thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s) and self._poll_once():
            pass

    def _poll_once(self) -> bool:
        """One tick in the app's context; False once the app is gone (the poller then ends)."""
        app = self._app()
        if app is None:
            return False  # nobody holds the app any more (a finished test): stop with it
        try:
            with app.app_context():
                self.tick()
        except FedlendError as exc:
            log.info("automatic evaluation skipped this round: %s", exc)
        except Exception:
            log.exception("the automatic evaluation poller failed; it keeps polling")
        return True


def _failed_recently(job: Job | None, within_s: float) -> bool:
    """Whether `job` failed less than `within_s` seconds ago."""
    if job is None or job.state != JobState.FAILED:
        return False
    return time.time() - (job.finished_at or 0) < within_s
