"""My contributions: each submission's on-chain outcome, epsilon spent per dataset, withdraw."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from fedlend.errors import FedlendError
from fedlend.services import catalog
from fedlend.services.owner import OwnerService
from fedlend.services.owner_views import (
    DatasetView,
    dataset_views,
    privacy_history,
    submission_views,
)
from fedlend.services.verification import proven_updates, verifications
from fedlend.web import line_chart_data
from fedlend.web.filters import eth_rounded
from fedlend.web.fragments import fragment
from fedlend.web.withdraw import withdraw_action
from owner_app.connection import nav_page, owner_service

bp = Blueprint("contributions", __name__, url_prefix="/contributions")


@bp.get("/")
@nav_page("My contributions")
def index() -> ResponseReturnValue:
    """Submissions (statuses re-read from chain events), privacy charts, money owed."""
    owner = owner_service()
    submissions = submission_views(owner)
    models = {s.submission.record.model_id for s in submissions}
    judged = catalog.browse(owner.node, keep=lambda record, _now: record.model_id in models)
    specs = {b.model_id: b.spec for b in judged.bounties}  # the verifier held to each spec
    proofs = verifications(owner.node.client, sorted(models), specs)
    proven = proven_updates(owner.node.client, models)
    # a claimable row holds a form (a per-session CSRF token): render those every time
    shown = (tuple(submissions), tuple(proofs.items()), tuple(sorted(proven.items())))
    key = None if any(s.claimable for s in submissions) else shown
    rows = fragment(
        "contributions/_rows.html", key, submissions=submissions, proofs=proofs, proven=proven
    )
    return render_template(
        "contributions/index.html",
        submissions=submissions,
        rows=rows,
        charts=[c for d in dataset_views(owner) if (c := _privacy_chart(owner, d))],
        owed=owner.owed(),
    )


def _privacy_chart(owner: OwnerService, dataset: DatasetView) -> dict[str, Any] | None:
    points = privacy_history(owner, dataset.sha256)
    if not points:
        return None
    labels = ["start"] + [f"#{p.charge} {p.note}".strip() for p in points]
    data = line_chart_data(
        labels,
        {
            "ε spent": [0.0] + [round(p.spent, 4) for p in points],
            "ε budget": [dataset.budget.epsilon] * len(labels),
        },
        y_label="ε",
        x_label="training run",
        y_min=0,
    )
    return {"dataset": dataset, "data": data}


@bp.post("/claim/<int:update_id>")
def claim(update_id: int) -> ResponseReturnValue:
    """Claim an update the lender left unjudged past its review window."""
    owner = owner_service()
    try:
        sent = owner.claim(update_id)
    except FedlendError as exc:
        flash(f"Claim refused: {exc}", "error")
        return redirect(url_for("contributions.index"))
    flash(
        f"Claimed {eth_rounded(sent.value)} for update #{update_id}, "
        "which the lender did not evaluate in time; it is credited to you: withdraw it below.",
        "success",
    )
    return redirect(url_for("contributions.index"))


@bp.post("/withdraw")
def withdraw() -> ResponseReturnValue:
    """Withdraw everything the contract owes this account; the chain's refusal is shown as is."""
    return withdraw_action(
        owner_service,
        back=url_for("contributions.index"),
    )
