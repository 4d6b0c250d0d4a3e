"""The `jobs` blueprint: GET /jobs/<id> (JSON, polled by jobs.js) and POST /jobs/<id>/cancel."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, request
from flask.typing import ResponseReturnValue

from fedlend.web.errorpages import wants_json
from fedlend.web.jobs import JobRunner

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def get_jobs() -> JobRunner:
    """The current app's JobRunner."""
    return current_app.extensions["fedlend_jobs"]


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


def safe_next(target: str | None) -> str:
    """`target` if it is a path on this site, else the home page (no open redirects)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"
