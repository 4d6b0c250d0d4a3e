"""My data: upload or pick a local loans CSV, see how it checks out, set its privacy budget."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from fedlend.errors import ChainError, DataError, FedlendError, SpecError, StorageError
from fedlend.services.owner import OwnerService
from fedlend.services.owner_data import DataCheck
from fedlend.services.owner_views import (
    MAX_BUDGET_EPSILON,
    dataset_view,
    dataset_views,
    parse_epsilon,
    set_budget,
)
from owner_app.connection import local_owner_service, nav_page, owner_service
from owner_app.forms import dataset_name, form_text, model_arg, safe_next, sha_arg

bp = Blueprint("data", __name__, url_prefix="/data")


@bp.get("/")
@nav_page("My data")
def index() -> ResponseReturnValue:
    """The kept datasets and the upload form (with the chain down: the datasets and their
    privacy budgets still show; only the bounty list says what is down)."""
    return _index(local_owner_service())


def _index(owner: OwnerService, *, error: str | None = None, model_id: int | None = None) -> str:
    try:
        bounties, chain_down = owner.open_bounties(), None
    except ChainError as exc:
        bounties, chain_down = [], str(exc)
    return render_template(
        "data/index.html",
        datasets=dataset_views(owner),
        bounties=bounties,
        chain_down=chain_down,
        error=error,
        model_id=model_id,
    )


@bp.post("/")
def upload() -> ResponseReturnValue:
    """Check an uploaded CSV; keep it on this machine only if it can be trained on."""
    owner = owner_service()
    model_id = model_arg(request.form.get("model"))
    file = request.files.get("file")
    if file is None or not file.filename:
        return _index(
            owner, error="Choose a CSV file (.csv or .csv.gz) first.", model_id=model_id
        ), 400
    data = file.read()
    name = dataset_name(file.filename)
    try:
        check = owner.check_data(data, model_id=model_id)
    except DataError as exc:
        return _index(owner, error=f"{name}: {exc}", model_id=model_id), 400
    if not check.ok:
        return render_template("data/rejected.html", name=name, check=check), 422
    owner.add_dataset(data, name=name)
    flash(f"Kept {name} ({check.rows:,} loans) on this computer.", "success")
    return redirect(url_for("data.show", sha=check.sha256, model=model_id or ""))


@bp.get("/<sha>")
def show(sha: str) -> str:
    """One dataset: its check (against a chosen bounty's model), its privacy account."""
    owner = owner_service()
    view = dataset_view(owner, sha_arg(sha))
    model_id = model_arg(request.args.get("model"))
    check, model_error = _check_kept(owner, view.sha256, model_id)
    return render_template(
        "data/show.html",
        dataset=view,
        check=check,
        model_error=model_error,
        model_id=model_id,
        bounties=owner.open_bounties(),
        max_budget=MAX_BUDGET_EPSILON,
    )


def _check_kept(owner: OwnerService, sha: str, model_id: int | None) -> tuple[DataCheck, str]:
    data = owner.dataset_bytes(sha)
    if model_id is None:
        return owner.check_data(data), ""
    try:
        return owner.check_data(data, model_id=model_id), ""
    except (ChainError, StorageError, SpecError) as exc:
        return owner.check_data(data), f"Could not check against model #{model_id}: {exc}"


@bp.post("/<sha>/budget")
def budget(sha: str) -> ResponseReturnValue:
    """Set the dataset's total privacy budget (epsilon)."""
    owner = owner_service()
    sha = dataset_view(owner, sha_arg(sha)).sha256  # 404 for a dataset this machine lacks
    back = safe_next(request.form.get("next") or url_for("data.show", sha=sha))
    try:
        epsilon = parse_epsilon(
            form_text("budget"), what="the total budget", upper=MAX_BUDGET_EPSILON
        )
        view = set_budget(owner, sha, epsilon=epsilon)
    except FedlendError as exc:
        flash(str(exc), "error")
        return redirect(back)
    flash(
        f"Budget for {view.name} set to ε {view.budget.epsilon:g}; "
        f"ε {view.remaining.epsilon:.3g} remains.",
        "success",
    )
    return redirect(back)
