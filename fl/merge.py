"""Merge accepted updates into the global model: FedAvg of deltas, weighted by examples and age.

Each accepted update is taken as a delta: its new weights minus the base weights it was trained
from. merged = current + server_lr * sum_i(a_i * delta_i) / sum_i(a_i), where
a_i = min(n_examples_i, max_examples) * staleness_decay ** staleness_i and staleness_i counts
the model versions published since the update's base. When every base IS the current model this
is exactly FedAvg of the owners' new weights (what the feasibility runs found to work). A stale
update's delta is applied to the current weights (not its old base), down-weighted by its age.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from fedlend_core.errors import UpdateRejectedError
from fedlend_core.units import BasisPoints
from fl.evaluate import Metrics, score, score_bps
from fl.models import Weights, add_scaled, subtract
from fl.spec import ModelSpec


@dataclass(frozen=True)
class MergeInput:
    """One accepted update: new weights, the base they came from, size and age."""

    weights: Mapping[str, torch.Tensor]
    base: Mapping[str, torch.Tensor]
    n_examples: int
    staleness: int = 0  # versions published since `base`

    @property
    def delta(self) -> Weights:
        """new - base."""
        return subtract(self.weights, self.base)


def rebase(current: Mapping[str, torch.Tensor], update: MergeInput) -> Weights:
    """The update's delta applied to the current weights (== its weights when base is current)."""
    return add_scaled(current, update.delta)


def fedavg(
    current: Mapping[str, torch.Tensor],
    updates: Sequence[MergeInput],
    *,
    staleness_decay: float = 0.5,
    max_examples: int | None = None,
    server_lr: float = 1.0,
) -> Weights:
    """Weighted average of the updates' deltas added to the current weights."""
    if not updates:
        return {k: v.clone() for k, v in current.items()}
    coefs = [_coef(u, staleness_decay, max_examples) for u in updates]
    total = sum(coefs)
    if total <= 0:
        raise UpdateRejectedError("every update has zero weight (no examples or too stale)")
    merged = {k: v.double().clone() for k, v in current.items()}
    for coef, update in zip(coefs, updates, strict=True):
        for name, d in update.delta.items():
            merged[name] += server_lr * coef / total * d.double()
    return {k: v.float() for k, v in merged.items()}


def _coef(update: MergeInput, decay: float, max_examples: int | None) -> float:
    n = update.n_examples if max_examples is None else min(update.n_examples, max_examples)
    return max(0, n) * decay ** max(0, update.staleness)


@dataclass(frozen=True)
class Candidate:
    """One update judged on its own: the model it yields and that model's score."""

    weights: Weights
    metrics: Metrics
    score_bps: BasisPoints
    improves: bool


@dataclass(frozen=True)
class RoundOutcome:
    """A lender round: each update scored separately, the improving ones merged."""

    candidates: list[Candidate]
    accepted: list[int]
    weights: Weights
    metrics: Metrics
    score_bps: BasisPoints


def judge(
    spec: ModelSpec,
    current: Mapping[str, torch.Tensor],
    update: MergeInput,
    X: np.ndarray,
    y: np.ndarray,
    *,
    best_bps: int,
    min_margin_bps: int = 0,
) -> Candidate:
    """Score the model an update yields (rebased on current); improves = beats best + margin."""
    weights = rebase(current, update)
    metrics = score(spec, weights, X, y)
    bps = score_bps(spec, metrics)
    return Candidate(weights, metrics, bps, improves=bps > best_bps + min_margin_bps)


def merge_round(
    spec: ModelSpec,
    current: Mapping[str, torch.Tensor],
    updates: Sequence[MergeInput],
    X: np.ndarray,
    y: np.ndarray,
    *,
    best_bps: int,
    min_margin_bps: int = 0,
    gate: bool = True,
    staleness_decay: float = 0.5,
) -> RoundOutcome:
    """Judge each update separately (for rewards); FedAvg the improving ones (all if gate=False)."""
    candidates = [
        judge(spec, current, u, X, y, best_bps=best_bps, min_margin_bps=min_margin_bps)
        for u in updates
    ]
    accepted = [i for i, c in enumerate(candidates) if c.improves or not gate]
    merged = fedavg(current, [updates[i] for i in accepted], staleness_decay=staleness_decay)
    metrics = score(spec, merged, X, y)
    return RoundOutcome(candidates, accepted, merged, metrics, score_bps(spec, metrics))
