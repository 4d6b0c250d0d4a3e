"""Lender side: validate a submitted update (never crash on hostile bytes) and score models."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import torch
from scipy.stats import rankdata
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

from fedlend_core.errors import DataError, UpdateRejectedError
from fedlend_core.units import BasisPoints, to_bps
from fl.features import EncodedData
from fl.models import Weights, expected_shapes, flatten, predict_proba, subtract
from fl.spec import ModelSpec
from fl.weights import WeightsFormatError, parse_weights

DEFAULT_MAX_UPDATE_BYTES = 1 << 20
DEFAULT_MAX_NORM = 100.0  # L2 norm of (new - base), or of the weights when no base is given


@dataclass(frozen=True)
class Metrics:
    """How well a model separates defaults on labelled loans."""

    roc_auc: float
    pr_auc: float
    accuracy: float
    brier: float
    log_loss: float
    n: int

    def value(self, metric: str) -> float:
        """The named metric ("roc_auc", "accuracy", ...)."""
        return float(getattr(self, metric))

    def to_dict(self) -> dict[str, float | int]:
        """Plain dict for JSON."""
        return asdict(self)


@dataclass(frozen=True)
class ValidatedUpdate:
    """A submitted update's weights that passed every check. What the update claims (base,
    examples, epsilon, delta) travels once, in its signed header (fedlend sealing); metadata an
    older blob carried besides the weights is ignored."""

    weights: Weights
    norm: float


def score(
    spec: ModelSpec, weights: Mapping[str, torch.Tensor], X: np.ndarray, y: np.ndarray
) -> Metrics:
    """Metrics of a model on encoded rows X with 0/1 labels y (both classes needed)."""
    y = np.asarray(y, dtype=np.float64)
    if len(y) == 0 or len(np.unique(y)) < 2:
        raise DataError("scoring needs loans of both outcomes (some defaults and some repaid)")
    p = np.clip(predict_proba(spec, weights, X), 1e-7, 1 - 1e-7)
    return Metrics(
        roc_auc=float(roc_auc_score(y, p)),
        pr_auc=float(average_precision_score(y, p)),
        accuracy=float(np.mean((p >= 0.5) == (y == 1))),
        brier=float(brier_score_loss(y, p)),
        log_loss=float(log_loss(y, p, labels=[0, 1])),
        n=len(y),
    )


def metric_value(
    spec: ModelSpec, weights: Mapping[str, torch.Tensor], X: np.ndarray, y: np.ndarray, metric: str
) -> float:
    """Just one metric ("roc_auc" or "accuracy"), faster than score() for many evaluations."""
    p = predict_proba(spec, weights, X)
    y = np.asarray(y) == 1
    if metric == "accuracy":
        return float(np.mean((p >= 0.5) == y))
    ranks = rankdata(p)  # Mann-Whitney form of ROC-AUC (ties averaged), equal to sklearn's
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if not n_pos or not n_neg:
        raise DataError("scoring needs loans of both outcomes (some defaults and some repaid)")
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def score_data(spec: ModelSpec, weights: Mapping[str, torch.Tensor], data: EncodedData) -> Metrics:
    """score() on an EncodedData with labels."""
    if data.y is None:
        raise DataError("scoring needs a `default` column")
    return score(spec, weights, data.X, data.y)


def score_bps(spec: ModelSpec, metrics: Metrics) -> BasisPoints:
    """The spec's metric in basis points (what the contract stores)."""
    return to_bps(metrics.value(spec.metric))


def validate_update(
    spec: ModelSpec,
    blob_or_tensors: bytes | Mapping[str, torch.Tensor],
    *,
    base_weights: Mapping[str, torch.Tensor] | None = None,
    max_bytes: int = DEFAULT_MAX_UPDATE_BYTES,
    max_norm: float = DEFAULT_MAX_NORM,
) -> ValidatedUpdate:
    """Check names, shapes, dtype, finiteness, size and norm; UpdateRejectedError says why."""
    try:
        if isinstance(blob_or_tensors, bytes | bytearray | memoryview):
            blob = bytes(blob_or_tensors)
            if len(blob) > max_bytes:
                raise WeightsFormatError(
                    f"{len(blob):,} bytes exceeds the {max_bytes:,}-byte limit"
                )
            weights, _meta = parse_weights(blob, spec)
        elif isinstance(blob_or_tensors, Mapping):
            weights = _check_tensors(spec, blob_or_tensors)
        else:
            raise WeightsFormatError(
                f"expected bytes or tensors, got {type(blob_or_tensors).__name__}"
            )
    except WeightsFormatError as exc:
        raise UpdateRejectedError(f"update rejected: {exc}") from exc
    change = subtract(weights, base_weights) if base_weights is not None else weights
    norm = float(flatten(change).norm())
    if not math.isfinite(norm) or norm > max_norm:
        raise UpdateRejectedError(
            f"update rejected: norm {norm:.4g} exceeds the limit {max_norm:g} "
            f"({'change from the base' if base_weights is not None else 'weights'})"
        )
    return ValidatedUpdate(weights=weights, norm=norm)


def _check_tensors(spec: ModelSpec, tensors: Mapping[str, torch.Tensor]) -> Weights:
    shapes = expected_shapes(spec)
    if set(tensors) != set(shapes):
        raise WeightsFormatError(f"tensor names {sorted(tensors)} != expected {sorted(shapes)}")
    out: Weights = {}
    for name, shape in shapes.items():
        t = tensors[name]
        if not isinstance(t, torch.Tensor) or t.dtype != torch.float32:
            raise WeightsFormatError(f"{name}: must be a float32 tensor")
        if tuple(t.shape) != shape:
            raise WeightsFormatError(f"{name}: shape {tuple(t.shape)} != expected {shape}")
        if not torch.isfinite(t).all():
            raise WeightsFormatError(f"{name}: contains NaN or infinity")
        out[name] = t.detach().clone()
    return out
