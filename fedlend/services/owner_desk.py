"""The owner's private check: a finished model's PDs against the owner's own loan outcomes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import brier_score_loss, roc_auc_score

from desk.applications import prepare
from desk.curves import Curve, calibration
from desk.scoring import ScoringModel
from fedlend.errors import DataError, IntegrityError
from fedlend.services.catalog import Bounty, list_bounties
from fedlend.services.owner import OwnerService
from fedlend.services.verified import weights_from_blob
from fedlend.types import MAX_SCORE
from fl.data import load_loans, target_vector

FINISHED = ("completed", "expired", "reclaimed")


@dataclass(frozen=True)
class OwnerCheck:
    """How one model's PDs match the owner's actual outcomes (nothing leaves this machine)."""

    model_id: int
    state: str
    weights_digest: str
    claimed_score: float  # the model's on-chain score on the lender's validation set
    n: int
    skipped: int  # rows that could not be scored (bad cells)
    roc_auc: float
    mean_pd: float
    default_rate: float
    brier: float
    calibration: Curve


def finished_models(owner: OwnerService) -> list[Bounty]:
    """Models whose weights are final (completed, expired or reclaimed), newest first."""
    return [b for b in list_bounties(owner.node) if b.state in FINISHED and b.spec is not None]


def check_model(owner: OwnerService, model_id: int, sha256: str) -> OwnerCheck:
    """Score the owner's kept dataset with the model's on-chain weights, compare with outcomes."""
    bounty = next((b for b in finished_models(owner) if b.model_id == model_id), None)
    if bounty is None:
        raise DataError(
            f"model #{model_id} is not finished (or its spec is unavailable): pick a completed "
            "or expired model from the list"
        )
    spec = bounty.require_spec()
    blob = owner.node.get(bounty.record.weights)
    if hashlib.sha256(blob).digest() != bytes(bounty.record.weights):
        raise IntegrityError(f"model #{model_id}'s stored weights do not match the chain")
    frame = load_loans(owner.dataset_bytes(sha256), policy_only=spec.policy_only)
    prepared = prepare(spec, frame)
    if prepared.encoded is None:
        raise DataError("no loan of this dataset can be scored by that model's spec")
    y = target_vector(frame.iloc[prepared.scorable_index])
    scorer = ScoringModel(
        spec,
        weights_from_blob(blob, spec),
        background=prepared.encoded.X,
        name=f"model #{model_id}",
        weights_digest=bytes(bounty.record.weights).hex(),
    )
    pds = scorer.pd(prepared.encoded.X)
    if len(np.unique(y)) < 2:
        raise DataError("the comparison needs loans of both outcomes (defaults and repaid)")
    return OwnerCheck(
        model_id=model_id,
        state=bounty.state,
        weights_digest=scorer.weights_digest,
        claimed_score=bounty.record.best_score / MAX_SCORE,
        n=len(y),
        skipped=len(frame) - len(y),
        roc_auc=float(roc_auc_score(y, pds)),
        mean_pd=float(pds.mean()),
        default_rate=float(y.mean()),
        brier=float(brier_score_loss(y, pds)),
        calibration=calibration(pds, y),
    )
