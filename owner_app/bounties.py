"""Open bounties: every model on the chain still taking updates, with its spec from storage."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from fedlend.services import catalog
from fedlend.services.owner_views import lender_records
from owner_app.connection import nav_page, owner_service

bp = Blueprint("bounties", __name__, url_prefix="/bounties")


@bp.get("/")
@nav_page("Open bounties")
def index() -> ResponseReturnValue:
    """Open bounties (all models with ?all=1): lender, title, scores, bounty left, deadline."""
    owner = owner_service()
    show_all = request.args.get("all") == "1"
    listing = catalog.browse(owner.node, accepting_only=not show_all)
    records = lender_records(owner, owner.node.client.models())
    return render_template(
        "bounties/index.html",
        bounties=listing.bounties,
        hidden=listing.note,
        show_all=show_all,
        records=records,
    )
