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

import torch

from fedlend_core.errors import UpdateRejectedError
from fl.models import Weights, subtract


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
