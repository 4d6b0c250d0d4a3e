"""The owner app's home page (a placeholder until the bounty and training pages land)."""

from __future__ import annotations

from flask import Blueprint, render_template

from fedlend.web import get_jobs

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    """Home: what this app is for, and the latest background jobs."""
    return render_template("home/index.html", jobs=get_jobs().recent(limit=10))
