"""Contribute: pick a bounty and a dataset, choose epsilon, train with DP-SGD in the background."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from fedlend.errors import FedlendError, JobCancelledError, NotFoundError
from fedlend.services.catalog import Bounty
from fedlend.services.contribution import ContributeJob
from fedlend.services.owner import OwnerService
from fedlend.services.owner_review import LocalChange
from fedlend.services.owner_views import (
    MAX_BUDGET_EPSILON,
    MAX_EPSILON,
    MIN_EPSILON,
    Preflight,
    dataset_views,
    parse_epsilon,
    preflight,
)
from fedlend.services.verification import verifications
from fedlend.settings import LOCAL_CHAIN_ID
from fedlend.web import get_jobs, job_of_kind
from fedlend.web.job_recheck import recheck_job
from fedlend.web.jobs import current_job
from fl.spec import ModelSpec
from fl.train import TrainConfig
from owner_app.circuit import kept_checks
from owner_app.connection import nav_page, owner_service
from owner_app.forms import model_arg, sha_arg
from owner_app.review import questions

bp = Blueprint("contribute", __name__, url_prefix="/contribute")
JOB_KIND = "contribute"
DEFAULT_EPSILON = 1.0


@bp.get("/")
@nav_page("Contribute")
def form() -> ResponseReturnValue:
    """The form; with model, dataset and epsilon in the query it also previews the run."""
    owner = owner_service()
    choice = _choice(request.args)
    plan, error = None, None
    if choice["model_id"] and choice["sha"] and request.args.get("epsilon"):
        try:
            plan = _preflight(owner, choice)
        except FedlendError as exc:
            error = str(exc)
    return _render(owner, choice, plan=plan, error=error)


@bp.post("/")
def start() -> ResponseReturnValue:
    """Check everything, then start training + submission as a background job."""
    owner = owner_service()
    choice = _choice(request.form)
    try:
        if not choice["model_id"] or not choice["sha"]:
            raise FedlendError("Pick both a bounty and one of your datasets.")
        plan = _preflight(owner, choice)
    except NotFoundError:
        raise
    except FedlendError as exc:
        return _render(owner, choice, error=str(exc)), 400
    title = (
        f"Train model #{plan.bounty.model_id} on {plan.dataset.name} (ε {plan.plan.epsilon:.3g})"
    )
    job_id = get_jobs().submit(
        JOB_KIND,
        partial(
            train_and_submit,
            model_id=plan.bounty.model_id,
            sha256=plan.dataset.sha256,
            epsilon=choice["epsilon_value"],
            metric=plan.bounty.metric,
        ),
        title=title,
    )
    return redirect(url_for("contribute.job", job_id=job_id))


@bp.get("/jobs/<job_id>")
def job(job_id: str) -> str:
    """A contribution job: live progress and Cancel while it runs, the outcome once it ends."""
    found = job_of_kind(job_id, JOB_KIND, "a contribution")
    found = recheck_job(get_jobs(), lambda: owner_service().node.client, found)
    return render_template(
        "contribute/job.html",
        job=found,
        result=found.result or {},
        question=questions().pending(job_id) if found.active else None,
    )


@bp.post("/jobs/<job_id>/answer")
def answer(job_id: str) -> ResponseReturnValue:
    """The owner's answer to "your estimate got worse: submit anyway?" (submit or keep)."""
    job_of_kind(job_id, JOB_KIND, "a contribution")  # 404 unless it is one
    questions().answer(job_id, submit=request.form.get("choice") == "submit")
    return redirect(url_for("contribute.job", job_id=job_id))


def train_and_submit(
    progress: Callable[[float, str], None],
    cancelled: Callable[[], bool],
    *,
    model_id: int,
    sha256: str,
    epsilon: float,
    metric: str,
) -> dict[str, Any]:
    """The job: OwnerService.contribute (train with DP, [ask if worse], seal, store, submit)."""
    guarded = _guarded(progress)
    job, ask = current_job(), questions()

    def confirm(change: LocalChange) -> bool:  # the job page shows the question (review.py)
        return ask.ask(job[0], change, progress=guarded, cancelled=cancelled) if job else False

    done = owner_service().contribute(
        model_id,
        sha256,
        TrainConfig(epsilon),
        ContributeJob(
            progress=guarded,
            cancel=cancelled,
            charge_key=f"job:{job[0]}" if job else None,  # a retried job is charged once
            confirm=confirm if job else None,  # outside a job (a direct call) nobody can be asked
        ),
    )
    return {
        "update_id": done.update_id,
        "model_id": done.model_id,
        "dataset": sha256,
        "metric": metric,
        "epsilon": done.epsilon,
        "delta": done.delta,
        "n_examples": done.n_examples,
        "local_before": done.local_before,
        "local_after": done.local_after,
        "seconds": round(done.seconds, 1),
        "tx_hash": done.sent.tx_hash,
        "gas_used": done.sent.gas_used,
    }


def _guarded(progress: Callable[[float, str], None]) -> Callable[[float, str], None]:
    """Progress that never raises on cancel: training checks `cancelled` itself and stops before
    any privacy is charged; once it has finished (and been charged) the update is submitted."""

    def report(fraction: float, message: str) -> None:
        with contextlib.suppress(JobCancelledError):
            progress(fraction, message)

    return report


def _choice(source: Any) -> dict[str, Any]:
    sha = (source.get("dataset") or "").strip()
    return {
        "model_id": model_arg(source.get("model")),
        "sha": sha_arg(sha) if sha else None,
        "epsilon": (source.get("epsilon") or "").strip() or f"{DEFAULT_EPSILON:g}",
        "epsilon_value": None,
    }


def _preflight(owner: OwnerService, choice: dict[str, Any]) -> Preflight:
    choice["epsilon_value"] = parse_epsilon(choice["epsilon"])
    return preflight(owner, choice["model_id"], choice["sha"], epsilon=choice["epsilon_value"])


def _render(
    owner: OwnerService,
    choice: dict[str, Any],
    *,
    plan: Preflight | None = None,
    error: str | None = None,
) -> str:
    listed = owner.open_bounties()
    specs = _specs(listed)
    return render_template(
        "contribute/form.html",
        proofs=(proofs := verifications(owner.node.client, [b.model_id for b in listed], specs)),
        circuits=kept_checks(owner, proofs, specs),
        local_chain=owner.node.chain_id == LOCAL_CHAIN_ID,
        bounties=[b for b in listed if b.spec is not None],
        unavailable=[b for b in listed if b.spec is None],
        datasets=dataset_views(owner),
        choice=choice,
        plan=plan,
        error=error,
        min_epsilon=MIN_EPSILON,
        max_epsilon=MAX_EPSILON,
        max_budget=MAX_BUDGET_EPSILON,
        jobs=get_jobs().recent(kind=JOB_KIND, limit=5),
    )


def _specs(bounties: list[Bounty]) -> dict[int, ModelSpec | None]:
    """Each bounty's spec (the verifier check holds a verified model's verifier to it)."""
    return {b.model_id: b.spec for b in bounties}
