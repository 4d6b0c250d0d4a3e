"""The owner app's home page: where this owner stands, and the latest background jobs."""

from __future__ import annotations

from flask import Blueprint, render_template

from fedlend.errors import FedlendError
from fedlend.services.owner_views import overview
from fedlend.web import get_jobs
from owner_app.connection import owner_service

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    """Home: datasets, bounties, submissions and money owed; works (with a notice) when offline."""
    summary, offline = None, None
    try:
        summary = overview(owner_service())
    except FedlendError as exc:
        offline = str(exc)
    return render_template(
        "home/index.html", summary=summary, offline=offline, jobs=get_jobs().recent(limit=10)
    )
