"""fl.auc: the packed-key sort gives exactly the argsort statistic and sklearn's AUC, with ties."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from fl.auc import _exact_u2, rank_auc


def _one_ulp_apart(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Every score beside its float neighbour, with opposite labels (keys differ in one bit)."""
    s = rng.normal(size=(4, 150))
    y = rng.random(150) < 0.3
    return np.concatenate([s, np.nextafter(s, np.inf)], axis=1), np.concatenate([y, ~y])


CASES = {
    "no ties": lambda rng: (rng.normal(size=(6, 400)), rng.random(400) < 0.2),
    "many ties": lambda rng: (np.round(rng.normal(size=(6, 400)), 1), rng.random(400) < 0.2),
    "signed zeros": lambda rng: (  # a repaid loan at -0.0 ties a default at +0.0
        np.hstack([rng.normal(size=(3, 200)), [[-0.0, 0.0]] * 3]),
        np.arange(202) % 2 == 1,
    ),
    "one ulp apart": _one_ulp_apart,
    "infinities and huge": lambda rng: (
        np.hstack([rng.normal(size=(3, 200)) * 1e300, [[np.inf, -np.inf]] * 3]),
        np.arange(202) % 3 == 0,
    ),
    "all tied": lambda rng: (np.zeros((2, 100)) * rng.random(), np.arange(100) % 4 == 0),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_packed_sort_equals_argsort_and_sklearn(case: str) -> None:
    scores, y = CASES[case](np.random.default_rng(7))
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    fast = rank_auc(scores, y)
    assert np.array_equal(fast, _exact_u2(scores, y) / (2.0 * n_pos * n_neg))  # bit for bit
    expected = [roc_auc_score(y, np.nan_to_num(row)) for row in scores]  # sklearn: finite only
    assert fast == pytest.approx(expected, abs=1e-14)
