"""Score many FedAvg coalitions of one round at once, without building a module per coalition.

A coalition's model is current + lr * sum_i(c_i * delta_i) with c the coalition's FedAvg weights
(summing to one over its members). Each update's delta is flattened ONCE into a row; a coalition is
then a weighted sum of rows (a matrix product for many coalitions, a running sum along a
permutation). For logistic regression the logits are linear in the weights, so the rows are the
updates' logit changes on the validation set (X @ dw + db) and a coalition's logits are the base
logits plus its combination: no per-coalition matmul with X at all. For the MLP the rows are the
flat deltas and a batched forward pass (einsum) scores a block of coalitions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch

from fl.auc import check_labels, metric_of_logits
from fl.models import expected_shapes
from fl.spec import ModelSpec

BLOCK = 64  # coalitions scored per batched forward pass (MLP)


def _flat(spec: ModelSpec, weights: Mapping[str, torch.Tensor]) -> np.ndarray:
    """Parameters as one float64 vector in the spec's sorted-name order."""
    names = sorted(expected_shapes(spec))
    return np.concatenate([weights[k].detach().double().reshape(-1).numpy() for k in names])


class CoalitionScorer:
    """Metric of current + lr * (weighted mean of some updates' deltas), for many weightings."""

    def __init__(
        self,
        spec: ModelSpec,
        X: np.ndarray,
        y: np.ndarray,
        current: Mapping[str, torch.Tensor],
        deltas: Sequence[Mapping[str, torch.Tensor]],
        *,
        server_lr: float = 1.0,
    ) -> None:
        self.spec = spec
        self.metric = spec.metric
        self.positive = check_labels(y)
        self.X = np.asarray(X, dtype=np.float64)
        self.lr = float(server_lr)
        self.current = _flat(spec, current)
        flat = np.stack([_flat(spec, d) for d in deltas]) if deltas else self.current[None, :0]
        self.linear = spec.model.kind == "logreg"
        if self.linear:
            self.base_logits = self._logreg(self.current[None, :])[0]
            self.rows = self._logreg(flat) if deltas else np.zeros((0, len(y)))
        else:
            self.rows = flat

    @property
    def width(self) -> int:
        """Length of one row."""
        return self.rows.shape[1]

    def base_value(self) -> float:
        """Metric of the current weights."""
        return float(self.values(np.zeros((1, self.width)))[0])

    def values(self, combos: np.ndarray) -> np.ndarray:
        """Metric of each coalition, given its combination of rows (k, width) -> (k,)."""
        if self.linear:
            if self.lr == 1.0:  # x * 1.0 == x exactly: one pass fewer, the same bits
                logits = np.add(combos, self.base_logits)
            else:
                logits = np.multiply(combos, self.lr)
                logits += self.base_logits
            return metric_of_logits(self.metric, logits, self.positive)
        out = np.empty(len(combos))
        for lo in range(0, len(combos), BLOCK):
            flat = self.current[None, :] + self.lr * combos[lo : lo + BLOCK]
            out[lo : lo + BLOCK] = metric_of_logits(self.metric, self._mlp(flat), self.positive)
        return out

    def _logreg(self, flat: np.ndarray) -> np.ndarray:
        """Logits (k, n) of flat logistic weights: sorted names put linear.bias first."""
        return flat[:, 1:] @ self.X.T + flat[:, :1]

    def _mlp(self, flat: np.ndarray) -> np.ndarray:
        """Logits (k, n) of flat MLP weights (hidden.bias, hidden.weight, out.bias, out.weight)."""
        h, d = self.spec.model.hidden, self.spec.n_inputs
        b1 = flat[:, :h]
        w1 = flat[:, h : h + h * d].reshape(-1, h, d)
        b2 = flat[:, h + h * d]
        w2 = flat[:, h + h * d + 1 :]
        hidden = np.maximum(np.einsum("nd,khd->knh", self.X, w1) + b1[:, None, :], 0.0)
        return np.einsum("knh,kh->kn", hidden, w2) + b2[:, None]
