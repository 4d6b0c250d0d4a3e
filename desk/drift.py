"""Population stability (PSI) per feature: is this batch like the validation set?"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fl.spec import ModelSpec

BINS = 10
FLOOR = 1e-4
WATCH, DRIFT = 0.10, 0.25
MIN_ROWS = 20


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's PSI and its verdict (stable / watch / drift)."""

    feature: str
    psi: float

    @property
    def verdict(self) -> str:
        """stable below 0.10, watch below 0.25, drift from 0.25."""
        if self.psi >= DRIFT:
            return "drift"
        return "watch" if self.psi >= WATCH else "stable"


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """PSI of two share vectors over the same bins (shares floored to avoid log 0)."""
    e = np.maximum(np.asarray(expected, float), FLOOR)
    a = np.maximum(np.asarray(actual, float), FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def drift(spec: ModelSpec, validation: np.ndarray, batch: np.ndarray) -> list[FeatureDrift]:
    """PSI of every feature, on encoded columns: deciles for numbers, shares for categories."""
    if len(batch) < MIN_ROWS:
        return []
    out, start = [], 0
    for feature in spec.features:
        width = len(feature.columns())
        val, new = validation[:, start : start + width], batch[:, start : start + width]
        if feature.kind == "categorical":
            value = psi(_shares(val), _shares(new))
        else:
            value = _numeric_psi(val[:, 0], new[:, 0])
        out.append(FeatureDrift(feature.name, value))
        start += width
    return out


def _shares(onehot: np.ndarray) -> np.ndarray:
    """Share of each column, plus the share of rows in none of them."""
    counts = np.append(onehot.sum(axis=0), (onehot.sum(axis=1) == 0).sum())
    return counts / max(len(onehot), 1)


def _numeric_psi(expected: np.ndarray, actual: np.ndarray) -> float:
    edges = np.unique(np.quantile(expected, np.linspace(0, 1, BINS + 1)[1:-1]))
    e = np.bincount(np.searchsorted(edges, expected, side="right"), minlength=len(edges) + 1)
    a = np.bincount(np.searchsorted(edges, actual, side="right"), minlength=len(edges) + 1)
    return psi(e / len(expected), a / len(actual))
