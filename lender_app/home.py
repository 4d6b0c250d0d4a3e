"""The lender's dashboard: this account's models with their state, other open bounties, jobs."""

from __future__ import annotations

from flask import Blueprint, render_template

from fedlend.errors import FedlendError
from fedlend.services.catalog import Bounty, list_bounties
from fedlend.web import get_jobs
from lender_app.context import get_lender

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    """Home: the dashboard; an offline chain is shown as a message, the jobs still list."""
    mine: list[Bounty] = []
    others: list[Bounty] = []
    problem = ""
    try:
        lender = get_lender()
        everything = list_bounties(lender.node)
    except FedlendError as exc:
        problem = str(exc)
    else:
        me = lender.node.address.lower()
        mine = [b for b in everything if b.record.lender.lower() == me]
        others = [b for b in everything if b.record.lender.lower() != me and b.accepting]
    return render_template(
        "home/index.html",
        mine=mine,
        others=others,
        problem=problem,
        jobs=get_jobs().recent(limit=10),
    )
