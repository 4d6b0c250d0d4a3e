"""The circuit check from the owner's pages: a verified model's circuit rebuilt in a job."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from fedlend.errors import FedlendError
from fedlend.services.circuit_check import CircuitCheck
from fedlend.services.circuit_checks import check_key, kept, run_check
from fedlend.services.owner import OwnerService
from fedlend.services.verification import Verification, verification_of
from fedlend.web import get_jobs, job_of_kind
from fl.spec import ModelSpec
from owner_app.connection import owner_service

bp = Blueprint("circuit", __name__, url_prefix="/circuit")
JOB_KIND = "circuit"


@bp.post("/<int:model_id>")
def start(model_id: int) -> ResponseReturnValue:
    """Start rebuilding the model's circuit and comparing its Halo2 verifier (minutes, once)."""
    title = f"Check the circuit of model #{model_id}"
    job_id = get_jobs().submit(JOB_KIND, partial(check_job, model_id=model_id), title=title)
    return redirect(url_for("circuit.job", job_id=job_id))


@bp.get("/jobs/<job_id>")
def job(job_id: str) -> str:
    """A circuit check: live progress while it runs, the verdict once it ends."""
    found = job_of_kind(job_id, JOB_KIND, "a circuit check")
    return render_template("circuit/job.html", job=found, result=found.result or {})


def check_job(
    progress: Callable[[float, str], None], _cancelled: Callable[[], bool], *, model_id: int
) -> dict[str, Any]:
    """The job: the verifier check with the spec, then the circuit rebuilt and compared."""
    owner = owner_service()
    spec = owner.node.spec_of(owner.node.client.get_model(model_id))
    verification = verification_of(owner.node.client, model_id, spec=spec)
    if verification is None:
        raise FedlendError(f"model #{model_id} is not verified: it has no circuit to check")
    found = run_check(owner.node, owner.state, verification, spec, progress)
    return {"model_id": model_id, "ok": found.ok, "message": found.message}


def kept_checks(
    owner: OwnerService,
    proofs: Mapping[int, Verification | None],
    specs: Mapping[int, ModelSpec | None],
) -> dict[int, CircuitCheck]:
    """The verdicts this computer keeps for the listed verified models (checked before)."""
    verdicts = kept(owner.state)
    found = {}
    for model_id, verification in proofs.items():
        spec = specs.get(model_id)
        if verification is not None and spec is not None:
            key = check_key(owner.node, verification, spec)
            if key in verdicts:
                found[model_id] = verdicts[key]
    return found
