"""The lender's borrower desk: a model's on-chain weights (digest checked) ready to score."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from desk.applications import prepare
from desk.blend import Blend, BlendedRow, blend_rows, fit_blend
from desk.curves import Curve, calibration, histogram, roc
from desk.drift import FeatureDrift, drift
from desk.explain import importance
from desk.policy import TradeoffRow, tradeoffs
from desk.scoring import Batch, Desk, ScoringModel
from fedlend.errors import DataError, IntegrityError
from fedlend.services.catalog import Bounty
from fedlend.services.lender import LenderService
from fedlend.services.lender_data import read_validation
from fedlend.services.verified import weights_from_blob
from fedlend.types import ModelStatus
from fl.data import load_loans
from fl.features import EncodedData
from fl.spec import ModelSpec

CACHE_SIZE = 8
_CACHE: dict[tuple[str, int, bytes], DeskModel] = {}
_INSIGHTS: dict[tuple[bytes, str], Insight] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class DeskModel:
    """One model's scorer on its chain-recorded weights, with the lender's validation set."""

    bounty: Bounty
    scorer: ScoringModel
    validation: EncodedData

    @property
    def weights_label(self) -> str:
        """ "completed weights" once the target was reached, else "current weights"."""
        done = self.bounty.record.status == ModelStatus.COMPLETED
        return "completed weights" if done else "current weights"

    @property
    def validation_pds(self) -> np.ndarray:
        """The model's PDs on the validation set."""
        return self.scorer.pd(self.validation.X)


@dataclass(frozen=True)
class Insight:
    """What the model page draws: ROC, calibration, PD histogram, global importance."""

    roc: Curve
    roc_auc: float
    calibration: Curve
    histogram: Curve
    importance: tuple[tuple[str, float], ...]  # (feature, mean |contribution|), largest first
    method: str


def open_desk_model(lender: LenderService, model_id: int) -> DeskModel:
    """The model on the weights the chain records; IntegrityError if the stored bytes differ."""
    bounty = lender.bounty(model_id)
    record = bounty.record
    key = (lender.node.client.address, model_id, bytes(record.weights))
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    spec = bounty.require_spec()
    blob = lender.node.get(record.weights)
    if hashlib.sha256(blob).digest() != bytes(record.weights):
        raise IntegrityError(
            f"the stored weights of model #{model_id} do not match the digest on-chain; "
            "refusing to score with them: restore the content store or fetch them again"
        )
    validation = lender.validation(spec)
    scorer = ScoringModel(
        spec,
        weights_from_blob(blob, spec),
        background=validation.X,
        name=f"model #{model_id}",
        weights_digest=bytes(record.weights).hex(),
    )
    model = DeskModel(bounty, scorer, validation)
    with _LOCK:
        if len(_CACHE) >= CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = model
    return model


def insight(model: DeskModel) -> Insight:
    """The model-page pictures, computed on the lender's validation set (once per weights)."""
    key = (model.scorer.spec.digest, model.scorer.weights_digest)
    with _LOCK:
        found = _INSIGHTS.get(key)
    if found is None:
        found = _insight(model)
        with _LOCK:
            if len(_INSIGHTS) >= CACHE_SIZE:
                _INSIGHTS.pop(next(iter(_INSIGHTS)))
            _INSIGHTS[key] = found
    return found


def _insight(model: DeskModel) -> Insight:
    pds, y = model.validation_pds, model.validation.labels
    curve, auc = roc(pds, y)
    contributions = model.scorer.explainer.explain(model.validation.X[:1000])
    weights = importance(contributions.values)
    names = [f.name for f in model.scorer.spec.features]
    ranked = sorted(zip(names, weights.tolist(), strict=True), key=lambda kv: -kv[1])
    return Insight(
        curve, auc, calibration(pds, y), histogram(pds), tuple(ranked), contributions.method
    )


def tradeoff_table(model: DeskModel, *, lgd: float) -> list[TradeoffRow]:
    """Cutoff -> approval rate, default rate among approved, expected loss (validation set)."""
    return tradeoffs(model.validation_pds, model.validation.labels, lgd=lgd)


def score_upload(model: DeskModel, data: bytes, desk: Desk) -> tuple[Batch, list[FeatureDrift]]:
    """Score an uploaded CSV of applications; PSI per feature against the validation set."""
    spec = model.scorer.spec
    frame = load_loans(data, policy_only=False, require_target=False)
    prepared = prepare(spec, frame)
    batch = model.scorer.score_prepared(prepared, desk)
    shifts = drift(spec, model.validation.X, prepared.encoded.X) if prepared.encoded else []
    return batch, shifts


def score_one(model: DeskModel, fields: Mapping[str, str], desk: Desk) -> Batch:
    """Score one application given as column -> text (the generated form)."""
    spec = model.scorer.spec
    columns = {f.name for f in spec.features} | {
        f.reference for f in spec.features if f.kind == "months_before"
    }
    row = {c: str(fields.get(c, "")).strip()[:200] for c in sorted(columns)}
    frame = pd.DataFrame([{"id": "application", **row}], dtype=str)
    return model.scorer.score_prepared(prepare(spec, frame), desk)


@dataclass(frozen=True)
class BlendView:
    """Two models of this lender blended on model A's validation loans."""

    a: DeskModel
    b: DeskModel
    blend: Blend


def blend_models(lender: LenderService, a_id: int, b_id: int) -> BlendView:
    """Fit the blender on A's validation set, encoded by each model's own spec."""
    if a_id == b_id:
        raise DataError("pick two different models to blend")
    a, b = open_desk_model(lender, a_id), open_desk_model(lender, b_id)
    frame = validation_frame(lender, a.scorer.spec)
    la = a.scorer.logits(a.validation.X)
    prepared = prepare(b.scorer.spec, frame)
    if prepared.encoded is None or len(prepared.scorable_index) != len(frame):
        raise DataError(f"model #{b_id}'s spec cannot score model #{a_id}'s validation loans")
    lb = b.scorer.logits(prepared.encoded.X)
    return BlendView(a, b, fit_blend(la, lb, a.validation.labels))


def validation_frame(lender: LenderService, spec: ModelSpec) -> pd.DataFrame:
    """The raw validation loans behind lender.validation(spec) (same file, same split)."""
    return read_validation(lender.state, spec)


def score_blend_one(view: BlendView, fields: Mapping[str, str], desk: Desk) -> list[BlendedRow]:
    """One application through both models and the blender."""
    return blend_rows(
        view.blend,
        score_one(view.a, fields, desk),
        score_one(view.b, fields, desk),
        policy=desk.policy,
        pricing=desk.pricing,
    )
