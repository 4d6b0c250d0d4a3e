"""The `jobs` blueprint: GET /jobs/<id> (JSON, polled by jobs.js) and POST /jobs/<id>/cancel."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, request
from flask.typing import ResponseReturnValue

from fedlend.errors import NotFoundError
from fedlend.web.errorpages import wants_json
from fedlend.web.jobs import Job, JobRunner

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def get_jobs() -> JobRunner:
    """The current app's JobRunner."""
    return current_app.extensions["fedlend_jobs"]


def job_of_kind(job_id: str, kind: str, what: str) -> Job:
    """One of the app's jobs, NotFoundError (404) unless it is of `kind` ("a contribution")."""
    found = get_jobs().get(job_id)
    if found.kind != kind:
        raise NotFoundError(f"job {job_id} is not {what}")
    return found


@bp.get("/<job_id>")
def status(job_id: str) -> Response:
    """The job's state as JSON; never cached."""
    response = jsonify(get_jobs().get(job_id).to_json())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<job_id>/cancel")
def cancel(job_id: str) -> ResponseReturnValue:
    """Ask the job to stop; JSON for fetch() callers, else back to `next` with a flash message."""
    job = get_jobs().cancel(job_id)
    if wants_json():
        return jsonify(job.to_json())
    if job.state == "cancelled":
        flash(f"“{job.title}” was cancelled.", "info")
    elif job.finished:
        flash(f"“{job.title}” had already finished ({job.state}).", "warning")
    else:
        flash(f"Asked “{job.title}” to stop; it stops at its next checkpoint.", "info")
    return redirect(safe_next(request.form.get("next")))


MAX_NEXT = 2000


def safe_next(target: str | None) -> str:
    """`target` if it is a plain path on this site, else the home page (no open redirects).

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so "/<TAB>/evil/x"
    would leave the site: any control character, whitespace or backslash refuses the target."""
    if (
        not isinstance(target, str)
        or not target.startswith("/")
        or target.startswith("//")
        or len(target) > MAX_NEXT
        or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in target)
    ):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target
