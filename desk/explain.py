"""Why a PD is what it is: per-feature logit contributions (exact for logistic regression, SHAP
DeepExplainer for the MLP), grouped from encoded columns back to the spec's features."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from fedlend_core.errors import SpecError
from fl.models import MLP, Weights, load_into
from fl.spec import ModelSpec

SHAP_BACKGROUND = 100
LINEAR_METHOD = "exact logit contributions against the validation mean"
SHAP_METHOD = "SHAP DeepExplainer (DeepLIFT) on the logit, background {n} validation rows"
SHAP_BATCH_ROWS = 20  # above this, the same DeepLIFT values in closed form (tested equal to shap)
MIN_DELTA = 1e-6  # shap's threshold below which a ReLU's multiplier is its gradient


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
            import shap  # type: ignore[import-untyped]  # heavy: only MLP explanations need it

            rows = _sample(background, SHAP_BACKGROUND)
            self._shap = shap.DeepExplainer(
                sequential(spec, weights), torch.from_numpy(rows.astype(np.float32))
            )
            self._mlp = _MlpDeepLift(weights, rows)
            self.baseline = float(np.asarray(self._shap.expected_value).reshape(-1)[0])
            self.method = SHAP_METHOD.format(n=len(rows))

    def explain(self, X: np.ndarray) -> Contributions:
        """Per-feature contributions of encoded rows X."""
        if self.kind == "logreg":
            cols = (np.asarray(X, dtype=np.float64) - self.mean) * self.w
        elif len(X) > SHAP_BATCH_ROWS:
            cols = self._mlp.values(np.asarray(X, dtype=np.float64))
            method = self.method + "; batch computed in closed form, equal to shap's values"
            return Contributions(cols @ self.group, self.baseline, method)
        else:
            raw = self._shap.shap_values(
                torch.from_numpy(np.asarray(X, dtype=np.float32)), check_additivity=False
            )
            cols = np.asarray(raw, dtype=np.float64).reshape(len(X), -1)
        return Contributions(cols @ self.group, self.baseline, self.method)


def sequential(spec: ModelSpec, weights: Weights) -> torch.nn.Sequential:
    """The MLP as Linear-ReLU-Linear modules with an (n, 1) logit: what DeepExplainer hooks."""
    module = load_into(spec, weights)
    if not isinstance(module, MLP):
        raise SpecError(f"only an MLP has hidden layers to explain, not a {spec.model.kind}")
    return torch.nn.Sequential(module.hidden, torch.nn.ReLU(), module.out).eval()


class _MlpDeepLift:
    """DeepExplainer's rescale rule for Linear-ReLU-Linear, vectorised over a whole batch.

    For background row b, hidden unit h: multiplier m = (relu(z_x) - relu(z_b)) / (z_x - z_b)
    (the ReLU's gradient at x when |z_x - z_b| <= 1e-6), and the value of input i is the
    background mean of sum_h out_h * m * W_hi * (x_i - b_i), exactly what shap computes row by row.
    """

    def __init__(self, weights: Weights, background: np.ndarray) -> None:
        self.W = weights["hidden.weight"].double().numpy()
        self.c = weights["hidden.bias"].double().numpy()
        self.out = weights["out.weight"].double().numpy().reshape(-1)
        self.bg = np.asarray(background, dtype=np.float64)
        self.zb = self.bg @ self.W.T + self.c  # (B, H)

    def values(self, X: np.ndarray, chunk: int = 512) -> np.ndarray:
        """n x d contribution matrix."""
        return np.concatenate([self._chunk(X[i : i + chunk]) for i in range(0, len(X), chunk)])

    def _chunk(self, X: np.ndarray) -> np.ndarray:
        zx = X @ self.W.T + self.c  # (n, H)
        delta = zx[:, None, :] - self.zb[None, :, :]  # (n, B, H)
        gain = np.maximum(zx, 0)[:, None, :] - np.maximum(self.zb, 0)[None, :, :]
        grad = np.broadcast_to((zx > 0)[:, None, :], delta.shape).astype(np.float64)
        small = np.abs(delta) <= MIN_DELTA
        m = np.where(small, grad, gain / np.where(small, 1.0, delta)) * self.out  # (n, B, H)
        B = len(self.bg)
        first = (m.sum(axis=1) @ self.W) * X  # sum_b A[n,b,i] * x_i
        second = np.einsum("nbh,hi,bi->ni", m, self.W, self.bg, optimize=True)
        return (first - second) / B


def _sample(X: np.ndarray, n: int) -> np.ndarray:
    X = np.asarray(X)
    if len(X) <= n:
        return X
    return X[np.random.default_rng(0).choice(len(X), n, replace=False)]


def importance(contributions: np.ndarray) -> np.ndarray:
    """Global importance per feature: mean absolute contribution."""
    return np.abs(contributions).mean(axis=0)
