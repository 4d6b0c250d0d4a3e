"""Open bounties: every model on the chain still taking updates, with its spec from storage."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from fedlend.services import catalog
from fedlend.services.owner_views import lender_records
from fedlend.services.signals import AddressReport
from fedlend.services.verification import verifications
from fedlend.web.fragments import fragment
from fedlend.web.signals_views import address_signal
from owner_app.connection import nav_page, owner_service

bp = Blueprint("bounties", __name__, url_prefix="/bounties")


@bp.get("/")
@nav_page("Open bounties")
def index() -> ResponseReturnValue:
    """Open bounties (all models with ?all=1): lender, title, scores, bounty left, deadline."""
    owner = owner_service()
    show_all = request.args.get("all") == "1"
    listing = catalog.browse(owner.node, accepting_only=not show_all)
    records = lender_records(owner, listing.records)
    lenders = sorted({b.record.lender for b in listing.bounties})
    specs = {b.model_id: b.spec for b in listing.bounties}
    proofs = verifications(owner.node.client, list(specs), specs)
    key = (
        listing.chain_time,
        tuple((b.record, b.spec is None, b.spec_error) for b in listing.bounties),
        tuple(sorted(records.items())),
        tuple((a, _signal(address_signal(a))) for a in lenders),
        tuple(proofs.items()),
    )
    rows = fragment(
        "bounties/_rows.html", key, bounties=listing.bounties, records=records, proofs=proofs
    )
    return render_template(
        "bounties/index.html",
        bounties=listing.bounties,
        hidden=listing.note,
        show_all=show_all,
        rows=rows,
    )


def _signal(report: AddressReport | None) -> tuple[object, ...] | None:
    """What a row's signal badge shows of a report."""
    if report is None:
        return None
    a = report.assessment
    return (a.level, a.profile, tuple(a.reasons), report.computed_at)
