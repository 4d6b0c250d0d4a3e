"""Check a model: score my own loans with a finished model and compare with what happened."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from fedlend.errors import DataError
from fedlend.services.owner_desk import check_model, finished_models
from fedlend.web import line_chart_data
from owner_app.connection import nav_page, owner_service
from owner_app.forms import model_arg

bp = Blueprint("desk", __name__, url_prefix="/check")


@bp.get("/")
@nav_page("Check a model")
def index() -> ResponseReturnValue:
    """Pick a finished model and one of my datasets."""
    owner = owner_service()
    return render_template(
        "desk/index.html", models=finished_models(owner), datasets=owner.datasets(), result=None
    )


@bp.post("/")
def run() -> ResponseReturnValue:
    """Score the dataset with the model and show PDs against actual outcomes."""
    owner = owner_service()
    model_id = model_arg(request.form.get("model"))
    sha = (request.form.get("dataset") or "").strip()
    result, chart, error = None, None, ""
    try:
        if model_id is None or not sha:
            raise DataError("pick a model and one of your datasets")
        result = check_model(owner, model_id, sha)
        curve = result.calibration
        chart = line_chart_data(
            curve.labels,
            {"your actual default rate": list(curve.y), "perfect calibration": list(curve.x)},
            y_label="default rate",
            x_label="model's mean PD (decile of your loans)",
            y_min=0,
        )
    except DataError as exc:
        error = str(exc)
    return render_template(
        "desk/index.html",
        models=finished_models(owner),
        datasets=owner.datasets(),
        result=result,
        chart=chart,
        error=error,
        chosen=(model_id, sha),
    ), (400 if error else 200)
