"""The lender's dashboard: this account's models with their state, other open bounties, jobs."""

from __future__ import annotations

from flask import Blueprint, render_template

from fedlend.errors import ChainUnavailableError, FedlendError
from fedlend.services.catalog import Bounty, browse, is_accepting
from fedlend.services.lender_local import FILES, LocalModel, seen_models
from fedlend.web import get_jobs
from lender_app.context import get_events, get_lender, local_lender

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    """Home: the dashboard; with the chain down, what is down, your models as last seen and
    the jobs."""
    mine: list[Bounty] = []
    others: list[Bounty] = []
    local: list[LocalModel] | None = None
    problem = hidden = ""
    try:
        lender = get_lender()
        me = lender.node.address.lower()
        listing = browse(
            lender.node, keep=lambda r, now: r.lender.lower() == me or is_accepting(r, now)
        )
    except ChainUnavailableError as exc:
        problem, local = str(exc), seen_models(local_lender(), get_events())
    except FedlendError as exc:
        problem = str(exc)
    else:
        mine = [b for b in listing.bounties if b.record.lender.lower() == me]
        others = [b for b in listing.bounties if b.record.lender.lower() != me]
        hidden = listing.note
    return render_template(
        "home/index.html",
        mine=mine,
        others=others,
        problem=problem,
        hidden=hidden,
        local=local,
        files=FILES,
        jobs=get_jobs().recent(limit=10),
    )
