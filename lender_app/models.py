"""The model page: scores, payments, updates; evaluate (now or automatically), reclaim, download."""

from __future__ import annotations

import io
import json
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue

from fedlend.errors import ChainUnavailableError, FedlendError, NotFoundError
from fedlend.services.audit_bundle import export_bundle
from fedlend.services.lender import LenderService
from fedlend.services.lender_local import FILES, SPEC_FILE, model_file, seen_model
from fedlend.services.lender_views import ModelDetail, model_detail
from fedlend.services.model_card import card_markdown, model_archive, model_card
from fedlend.services.verification import Verification, verification_of
from fedlend.settings import LOCAL_CHAIN_ID
from fedlend.types import MAX_SCORE, WEI_PER_ETH
from fedlend.web import get_jobs, line_chart_data, wallet_mode
from fedlend.web.connection import offline_page
from fedlend.web.filters import eth_rounded
from fedlend.web.wallet_views import start_wallet_job
from lender_app.context import flash_errors, get_events, get_lender, local_lender
from lender_app.desk import model_page_extras
from lender_app.evaluations import get_evaluations, job_kind

bp = Blueprint("models", __name__, url_prefix="/models")


@bp.get("/<int:model_id>")
def show(model_id: int) -> str:
    """Status, scores, bounty, the history charts, the updates and the actions (with the chain
    down: what is down, and what this computer keeps about the model, its files too)."""
    try:
        lender = get_lender()
        detail = model_detail(lender, model_id, events=get_events())
        spec = detail.bounty.spec
        verification = verification_of(lender.node.client, model_id, gas=True, spec=spec)
    except ChainUnavailableError as exc:
        return _local_page(model_id, exc)
    return render_template(
        "models/show.html",
        detail=detail,
        bounty=detail.bounty,
        record=detail.bounty.record,
        metric_label=detail.bounty.metric if detail.bounty.spec else "score",
        score_chart=_score_chart(detail),
        paid_chart=_paid_chart(detail),
        verification=verification,
        proven_chart=(
            _proven_chart(verification, detail.bounty.record.initial_score)
            if verification and verification.rounds
            else None
        ),
        local_chain=lender.node.chain_id == LOCAL_CHAIN_ID,
        auto=get_evaluations().auto_enabled(lender, model_id) if detail.is_own else False,
        jobs=get_jobs().recent(kind=job_kind(model_id), limit=3),
        desk=model_page_extras(model_id),
    )


def _local_page(model_id: int, problem: ChainUnavailableError) -> str:
    try:
        model = seen_model(local_lender(), get_events(), model_id)
    except NotFoundError:  # nothing kept here about it: what is down, in words
        return offline_page(f"Model #{model_id}", problem)[0]
    return render_template(
        "models/local.html",
        model=model,
        problem=str(problem),
        files=FILES,
        jobs=get_jobs().recent(kind=job_kind(model_id), limit=3),
    )


@bp.get("/<int:model_id>/files/<name>")
def file(model_id: int, name: str) -> Response:
    """One of your model's files (spec.json, weights.safetensors) from this computer's store:
    as posted or last evaluated, the chain up or down."""
    lender = local_lender()
    data = model_file(lender, seen_model(lender, get_events(), model_id), name)
    return send_file(
        io.BytesIO(data),
        mimetype="application/json" if name == SPEC_FILE else "application/octet-stream",
        as_attachment=True,
        download_name=f"fedlend-model-{model_id}-{name}",
    )


def _score_chart(detail: ModelDetail) -> dict[str, Any]:
    labels = [p.label for p in detail.history]
    target = detail.bounty.record.target_score / MAX_SCORE
    return line_chart_data(
        labels,
        {
            "score": [p.score / MAX_SCORE for p in detail.history],
            "target": [target] * len(labels),
        },
        y_label="validation score",
        x_label="after update",
    )


def _proven_chart(verification: Verification, initial_score: int) -> dict[str, Any]:
    """The proven score at posting (createVerifiedModel proves it) and after each proven round."""
    scores = [initial_score] + [r.score for r in verification.rounds]
    return line_chart_data(
        ["posted"] + [f"round {i}" for i, _ in enumerate(verification.rounds, start=1)],
        {"proven score": [s / MAX_SCORE for s in scores]},
        y_label="proven ROC-AUC",
        x_label="proven round",
    )


def _paid_chart(detail: ModelDetail) -> dict[str, Any]:
    return line_chart_data(
        [p.label for p in detail.history],
        {"paid to owners (ETH)": [p.paid_wei / WEI_PER_ETH for p in detail.history]},
        y_label="ETH",
        x_label="after update",
        y_min=0,
    )


@bp.post("/<int:model_id>/evaluate")
def evaluate(model_id: int) -> ResponseReturnValue:
    """Queue an evaluation of the model's pending updates (reusing one already under way)."""
    with flash_errors():
        get_lender().own_bounty(model_id)
        _, new = get_evaluations().submit(model_id)
        if new:
            flash(f"Evaluating model #{model_id}'s pending updates in the background.", "info")
        else:
            flash(f"Model #{model_id} is already being evaluated; follow it below.", "info")
    return _back(model_id)


@bp.post("/<int:model_id>/auto")
def auto(model_id: int) -> ResponseReturnValue:
    """Switch automatic evaluation on or off (kept in this app's database)."""
    enabled = request.form.get("enabled") == "1"
    with flash_errors():
        lender = get_lender()
        lender.own_bounty(model_id)
        get_evaluations().set_auto(lender, model_id, enabled=enabled)
        if enabled:
            every = get_evaluations().interval_s
            flash(
                f"Automatic evaluation is on: pending updates are evaluated every {every:g} s "
                "while this app runs.",
                "success",
            )
        else:
            flash("Automatic evaluation is off.", "info")
    return _back(model_id)


@bp.post("/<int:model_id>/reclaim")
def reclaim(model_id: int) -> ResponseReturnValue:
    """Take back what is left of the bounty (the contract checks deadline or completion)."""
    if wallet_mode.wallet_mode():
        return start_wallet_job(
            "reclaim",
            f"Reclaim what is left of model #{model_id}'s bounty",
            lambda: (
                f"Reclaimed {eth_rounded(get_lender().reclaim(model_id).value)}: it is credited "
                "to you; withdraw it on the Account page."
            ),
            back=url_for(".show", model_id=model_id),
        )
    with flash_errors():
        sent = get_lender().reclaim(model_id)
        flash(
            f"Reclaimed {eth_rounded(sent.value)} from model #{model_id}; it is credited to you: "
            "withdraw it on the Account page.",
            "success",
        )
    return _back(model_id)


@bp.get("/<int:model_id>/model.zip")
def download(model_id: int) -> Response:
    """The current model: spec.json + weights.safetensors + the model card, zipped."""
    lender = get_lender()
    detail = _with_spec(lender, model_id)
    data = model_archive(lender, detail)
    return send_file(
        io.BytesIO(data),
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"fedlend-model-{model_id}.zip",
    )


@bp.get("/<int:model_id>/card.<fmt>")
def card(model_id: int, fmt: str) -> Response:
    """The model card alone, as Markdown (card.md) or JSON (card.json)."""
    if fmt not in ("md", "json"):
        raise FedlendError("model cards come as card.md or card.json")
    lender = get_lender()
    detail = _with_spec(lender, model_id)
    body = model_card(detail, chain_id=lender.node.chain_id, contract=lender.node.contract)
    if fmt == "json":
        text, mimetype = json.dumps(body, indent=2, sort_keys=True), "application/json"
    else:
        text, mimetype = card_markdown(body), "text/markdown"
    return send_file(
        io.BytesIO(text.encode()),
        mimetype=mimetype,
        as_attachment=True,
        download_name=f"fedlend-model-{model_id}-card.{fmt}",
    )


@bp.get("/<int:model_id>/audit-bundle.json")
def audit_bundle(model_id: int) -> Response:
    """The opened updates of every round of this model, for `fedlend audit --bundle`."""
    data = export_bundle(get_lender(), model_id)
    return send_file(
        io.BytesIO(data),
        mimetype="application/json",
        as_attachment=True,
        download_name=f"fedlend-model-{model_id}-audit-bundle.json",
    )


def _with_spec(lender: LenderService, model_id: int) -> ModelDetail:
    """The model's detail for a download; if its spec is unreachable, the storage error itself."""
    detail = model_detail(lender, model_id, events=get_events())
    if detail.bounty.spec is None:
        lender.node.spec_of(
            detail.bounty.record
        )  # raises the real error (503 when storage is down)
    return detail


def _back(model_id: int) -> ResponseReturnValue:
    return redirect(url_for(".show", model_id=model_id))
