"""After a chain restart, done jobs re-check their transactions and say what was lost."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app, has_app_context

from fedlend.chain.client import ModelRepositoryClient
from fedlend.errors import FedlendError
from fedlend.services.job_check import check_job
from fedlend.web.jobs import Job, JobRunner, JobState

log = logging.getLogger(__name__)


def recheck_job(runner: JobRunner, client: Callable[[], ModelRepositoryClient], job: Job) -> Job:
    """The job as it stands now: a done job whose transaction is gone becomes failed, saying so.

    With the chain unreachable the job is shown as stored (checked again on the next visit)."""
    if job.state != JobState.DONE:
        return job
    try:
        found = check_job(client(), job.kind, job.result)
    except FedlendError as exc:  # the chain is down: shown as stored, checked on the next visit
        log.info("job %s not re-checked: %s", job.id, exc)
        return job
    if found is None or not found.note:
        return job
    runner.mark_lost(job.id, found.note)
    return runner.get(job.id)


def recheck_jobs(runner: JobRunner, client: ModelRepositoryClient, *, limit: int = 50) -> int:
    """Re-check the newest done jobs of every account (at start-up); how many were lost."""
    lost = 0
    for job in runner.done_with_tx(limit=limit):
        try:
            found = check_job(client, job.kind, job.result)
        except FedlendError as exc:
            log.info("jobs not re-checked (%s): they are checked when their page opens", exc)
            return lost
        if found is not None and found.note:
            runner.mark_lost(job.id, found.note)
            lost += 1
    return lost


def recheck_on_connect(client: ModelRepositoryClient) -> int:
    """At an app's first connection to the chain (its start-up): re-check the app's done jobs."""
    if not has_app_context() or "fedlend_jobs" not in current_app.extensions:
        return 0
    lost = recheck_jobs(current_app.extensions["fedlend_jobs"], client)
    if lost:
        log.warning("%d job(s) lost their transaction to a chain restart; their pages say so", lost)
    return lost
