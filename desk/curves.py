"""Model-page pictures as numbers: ROC curve, calibration (reliability), PD histogram."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

from fedlend_core.errors import DataError

ROC_POINTS = 51
CALIBRATION_BINS = 10
HISTOGRAM_BINS = 20


@dataclass(frozen=True)
class Curve:
    """x and y values of one curve, with labels for its points."""

    labels: tuple[str, ...]
    x: tuple[float, ...]
    y: tuple[float, ...]


def _check(pds: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pds, y = np.asarray(pds, float), np.asarray(y, float)
    if len(pds) != len(y) or len(np.unique(y)) < 2:
        raise DataError("these charts need labelled loans of both outcomes, one PD each")
    return pds, y


def roc(pds: np.ndarray, y: np.ndarray) -> tuple[Curve, float]:
    """The ROC curve resampled at evenly spaced false-positive rates, and the ROC-AUC."""
    pds, y = _check(pds, y)
    fpr, tpr, _ = roc_curve(y, pds)
    grid = np.linspace(0, 1, ROC_POINTS)
    tpr_at = np.interp(grid, fpr, tpr)
    labels = tuple(f"{v:.2f}" for v in grid)
    return Curve(labels, tuple(grid), tuple(tpr_at)), float(roc_auc_score(y, pds))


def calibration(pds: np.ndarray, y: np.ndarray) -> Curve:
    """Mean predicted PD vs actual default rate per PD decile (empty bins skipped)."""
    pds, y = _check(pds, y)
    edges = np.quantile(pds, np.linspace(0, 1, CALIBRATION_BINS + 1))
    which = np.clip(np.searchsorted(edges, pds, side="right") - 1, 0, CALIBRATION_BINS - 1)
    xs, ys, labels = [], [], []
    for b in range(CALIBRATION_BINS):
        mask = which == b
        if mask.any():
            xs.append(float(pds[mask].mean()))
            ys.append(float(y[mask].mean()))
            labels.append(f"{xs[-1]:.3f}")
    return Curve(tuple(labels), tuple(xs), tuple(ys))


def histogram(pds: np.ndarray, *, bins: int = HISTOGRAM_BINS) -> Curve:
    """Share of loans per PD bin of width 1/bins up to the largest PD seen."""
    pds = np.asarray(pds, float)
    top = max(float(pds.max()) if len(pds) else 1.0, 1e-6)
    edges = np.linspace(0, top, bins + 1)
    counts, _ = np.histogram(pds, bins=edges)
    shares = counts / max(len(pds), 1)
    labels = tuple(f"{(a + b) / 2:.3f}" for a, b in itertools.pairwise(edges))
    return Curve(labels, tuple((edges[:-1] + edges[1:]) / 2), tuple(shares))
