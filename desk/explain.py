"""Why a PD is what it is: per-feature logit contributions (exact for logistic regression, SHAP
DeepExplainer for the MLP), grouped from encoded columns back to the spec's features."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from fl.models import Weights, load_into
from fl.spec import ModelSpec

SHAP_BACKGROUND = 100
LINEAR_METHOD = "exact logit contributions against the validation mean"
SHAP_METHOD = "SHAP DeepExplainer (DeepLIFT) on the logit, background {n} validation rows"


@dataclass(frozen=True)
class Contributions:
    """n x F logit contributions; each row adds up to logit - baseline."""

    values: np.ndarray
    baseline: float
    method: str


def grouping(spec: ModelSpec) -> np.ndarray:
    """d x F 0/1 matrix mapping each encoded column to its feature."""
    sizes = [len(f.columns()) for f in spec.features]
    matrix = np.zeros((sum(sizes), len(sizes)))
    start = 0
    for j, size in enumerate(sizes):
        matrix[start : start + size, j] = 1.0
        start += size
    return matrix


class Explainer:
    """Explains encoded rows of one model; build once, call many times."""

    def __init__(self, spec: ModelSpec, weights: Weights, background: np.ndarray) -> None:
        self.spec = spec
        self.group = grouping(spec)
        self.kind = spec.model.kind
        if self.kind == "logreg":
            self.w = weights["linear.weight"].double().numpy().reshape(-1)
            self.mean = np.asarray(background, dtype=np.float64).mean(axis=0)
            self.baseline = float(self.mean @ self.w + float(weights["linear.bias"]))
            self.method = LINEAR_METHOD
        else:
            import shap  # heavy: only MLP explanations need it

            rows = _sample(background, SHAP_BACKGROUND)
            self._shap = shap.DeepExplainer(
                sequential(spec, weights), torch.from_numpy(rows.astype(np.float32))
            )
            self.baseline = float(np.asarray(self._shap.expected_value).reshape(-1)[0])
            self.method = SHAP_METHOD.format(n=len(rows))

    def explain(self, X: np.ndarray) -> Contributions:
        """Per-feature contributions of encoded rows X."""
        if self.kind == "logreg":
            cols = (np.asarray(X, dtype=np.float64) - self.mean) * self.w
        else:
            raw = self._shap.shap_values(
                torch.from_numpy(np.asarray(X, dtype=np.float32)), check_additivity=False
            )
            cols = np.asarray(raw, dtype=np.float64).reshape(len(X), -1)
        return Contributions(cols @ self.group, self.baseline, self.method)


def sequential(spec: ModelSpec, weights: Weights) -> torch.nn.Sequential:
    """The MLP as Linear-ReLU-Linear modules with an (n, 1) logit: what DeepExplainer hooks."""
    module = load_into(spec, weights)
    return torch.nn.Sequential(module.hidden, torch.nn.ReLU(), module.out).eval()


def _sample(X: np.ndarray, n: int) -> np.ndarray:
    X = np.asarray(X)
    if len(X) <= n:
        return X
    return X[np.random.default_rng(0).choice(len(X), n, replace=False)]


def importance(contributions: np.ndarray) -> np.ndarray:
    """Global importance per feature: mean absolute contribution."""
    return np.abs(contributions).mean(axis=0)
