"""The borrower desk: score one application or a batch with a model, set its policy."""

from __future__ import annotations

import io
import time
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue

from desk.form import form_fields
from desk.policy import Policy, Pricing
from desk.report import batch_csv, batch_summary
from desk.scoring import Desk
from fedlend.chain.history import parse_address
from fedlend.errors import DataError, FedlendError
from fedlend.services import desk as service
from lender_app import desk_blend, desk_charts, desk_store
from lender_app.context import get_lender

bp = Blueprint("desk", __name__, url_prefix="/models/<int:model_id>")
SHOWN_ROWS = 200
PERCENT_FIELDS = ("approve_below", "decline_from", "cost_of_funds", "lgd", "margin")


def init_app(app: Flask) -> None:
    """Create the desk's tables and register the blueprint."""
    app.extensions["fedlend_db"].migrate("lender_desk", desk_store.MIGRATIONS)
    app.register_blueprint(bp)
    app.register_blueprint(desk_blend.bp)


def _contract() -> str:
    return get_lender().node.contract


def _desk(model_id: int) -> Desk:
    policy, pricing, _ = desk_store.load_policy(_contract(), model_id)
    return Desk(policy=policy, pricing=pricing)


def _render_desk(model_id: int, **extra: Any) -> str:
    model = service.open_desk_model(get_lender(), model_id)
    today = time.strftime("%Y-%m", time.gmtime())
    values = extra.pop("values", {})
    return render_template(
        "desk/index.html",
        model=model,
        model_id=model_id,
        fields=form_fields(model.scorer.spec, today=today),
        values=values,
        desk=_desk(model_id),
        **extra,
    )


@bp.get("/desk")
def index(model_id: int) -> ResponseReturnValue:
    """The single-application form and the batch upload."""
    return _render_desk(model_id)


@bp.post("/desk/one")
def one(model_id: int) -> ResponseReturnValue:
    """Score the application typed into the form."""
    model = service.open_desk_model(get_lender(), model_id)
    batch = service.score_one(model, request.form, _desk(model_id))
    borrower, borrower_error = _borrower(request.form.get("borrower_address", ""))
    return _render_desk(
        model_id,
        result=batch.rows[0],
        batch=batch,
        values=request.form,
        borrower=borrower,
        borrower_error=borrower_error,
    )


def _borrower(text: str) -> tuple[str, str]:
    """(checksummed address, '') for the applicant's optional address, or ('', why it is bad)."""
    if not text.strip():
        return "", ""
    try:
        return parse_address(text), ""
    except FedlendError as exc:
        return "", str(exc)


@bp.post("/desk/batch")
def batch(model_id: int) -> ResponseReturnValue:
    """Score an uploaded CSV of applications; results table, drift check, CSV download."""
    file = request.files.get("applications")
    if file is None or not file.filename:
        return _render_desk(model_id, upload_error="Choose a CSV of applications to score."), 400
    model = service.open_desk_model(get_lender(), model_id)
    desk = _desk(model_id)
    try:
        scored, shifts = service.score_upload(model, file.read(), desk)
    except DataError as exc:
        return _render_desk(model_id, upload_error=f"This file cannot be scored: {exc}"), 400
    token = desk_store.keep_batch(_contract(), model_id, batch_csv(scored))
    return render_template(
        "desk/batch.html",
        model=model,
        model_id=model_id,
        batch=scored,
        rows=scored.rows[:SHOWN_ROWS],
        summary=batch_summary(scored, roc_auc=None, pricing=desk.pricing),
        drift=sorted(shifts, key=lambda d: -d.psi),
        token=token,
        filename=file.filename,
    )


@bp.get("/desk/batch/<token>.csv")
def download(model_id: int, token: str) -> ResponseReturnValue:
    """A scored batch as CSV (application id, PD, decision, APR, reasons, model, digest)."""
    text = desk_store.batch_csv(_contract(), model_id, token)
    if text is None:
        abort(404)
    return send_file(
        io.BytesIO(text.encode()),
        mimetype="text/csv",
        as_attachment=True,
        download_name=f"fedlend-model-{model_id}-scores.csv",
    )


@bp.route("/policy", methods=["GET", "POST"])
def policy(model_id: int) -> ResponseReturnValue:
    """The trade-off table and chart on the validation set; save cutoffs and pricing."""
    contract = _contract()
    model = service.open_desk_model(get_lender(), model_id)
    current, pricing, saved = desk_store.load_policy(contract, model_id)
    error = ""
    if request.method == "POST":
        try:
            current, pricing = _parse_policy(request.form)
        except DataError as exc:
            error = str(exc)
        else:
            desk_store.save_policy(contract, model_id, current, pricing)
            flash(f"Saved the policy of model #{model_id}.", "success")
            return redirect(url_for(".policy", model_id=model_id))
    rows = service.tradeoff_table(model, lgd=pricing.lgd)
    return render_template(
        "desk/policy.html",
        model=model,
        model_id=model_id,
        rows=rows,
        chart=desk_charts.tradeoff_chart(rows),
        policy=current,
        pricing=pricing,
        saved=saved,
        error=error,
    ), (400 if error else 200)


def _parse_policy(form: Any) -> tuple[Policy, Pricing]:
    values = {}
    for name in PERCENT_FIELDS:
        text = str(form.get(name, "")).strip().rstrip("%")
        try:
            values[name] = float(text) / 100
        except ValueError as exc:
            raise DataError(f"{name.replace('_', ' ')} must be a percentage like 15") from exc
    return (
        Policy(values["approve_below"], values["decline_from"]),
        Pricing(values["cost_of_funds"], values["lgd"], values["margin"]),
    )


def model_page_extras(model_id: int) -> dict[str, Any]:
    """What the model page adds: ROC, calibration, PD histogram, importance (or why not)."""
    try:
        model = service.open_desk_model(get_lender(), model_id)
        insight = service.insight(model)
    except FedlendError as exc:
        return {"unavailable": str(exc)}
    ranked = insight.importance
    top = ranked[0][1] if ranked else 1.0
    return {
        "model": model,
        "insight": insight,
        "roc": desk_charts.roc_chart(insight),
        "calibration": desk_charts.calibration_chart(insight),
        "histogram": desk_charts.histogram_chart(insight),
        "importance": [
            (name, value, value / top if top else 0) for name, value in insight.importance
        ],
    }
