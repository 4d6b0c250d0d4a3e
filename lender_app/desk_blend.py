"""EasyBlend in the lender app: blend this model with another, compare, score one application."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from desk.form import form_fields
from desk.scoring import Desk
from fedlend.errors import DataError
from fedlend.services import desk as service
from lender_app import desk_store
from lender_app.context import get_lender

bp = Blueprint("blend", __name__, url_prefix="/models/<int:model_id>/blend")


def _other(value: str | None) -> int | None:
    text = (value or "").strip().lstrip("#")
    return int(text) if text.isdigit() and 0 < int(text) < 2**63 else None


def _page(model_id: int, other: int | None, **extra: Any) -> ResponseReturnValue:
    lender = get_lender()
    model = service.open_desk_model(lender, model_id)
    choices = [b for b in lender.models() if b.model_id != model_id and b.spec is not None]
    view, error = None, extra.pop("error", "")
    if other is not None and not error:
        try:
            view = service.blend_models(lender, model_id, other)
        except DataError as exc:
            error = str(exc)
    html = render_template(
        "desk/blend.html",
        model=model,
        model_id=model_id,
        choices=choices,
        other=other,
        view=view,
        error=error,
        fields=form_fields(model.scorer.spec, today=time.strftime("%Y-%m", time.gmtime())),
        values=extra.pop("values", {}),
        **extra,
    )
    return html, (400 if error else 200)


@bp.get("")
def index(model_id: int) -> ResponseReturnValue:
    """Pick the second model; see the blender against both on blender-check."""
    return _page(model_id, _other(request.args.get("with")))


@bp.post("/one")
def one(model_id: int) -> ResponseReturnValue:
    """Score one application with the blend (and each model's part in it)."""
    other = _other(request.form.get("with"))
    if other is None:
        return _page(model_id, None, error="pick the model to blend with")
    policy, pricing, _ = desk_store.load_policy(get_lender().node.contract, model_id)
    view = service.blend_models(get_lender(), model_id, other)
    rows = service.score_blend_one(view, request.form, Desk(policy=policy, pricing=pricing))
    return _page(model_id, other, result=rows[0], values=request.form)
