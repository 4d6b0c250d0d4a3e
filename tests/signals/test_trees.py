"""The dumped trees predict exactly what scikit-learn predicts; forged arrays are refused."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingClassifier

from fedlend.errors import SpecError
from signals.classifier import design_matrix
from signals.dataset import AddressData
from signals.trees import TreeEnsemble, from_arrays, from_sklearn


@pytest.fixture(scope="module")
def fitted(address_data: AddressData) -> tuple[GradientBoostingClassifier, np.ndarray]:
    order = np.random.default_rng(0).permutation(len(address_data.labels))
    x = design_matrix(address_data, with_artifacts=False)[order]
    model = GradientBoostingClassifier(n_estimators=25, max_depth=3, random_state=0)
    model.fit(x[:3000], address_data.labels[order][:3000])
    return model, x[3000:]


def test_dump_matches_sklearn(fitted: tuple[GradientBoostingClassifier, np.ndarray]) -> None:
    model, x = fitted
    trees = from_sklearn(model)
    np.testing.assert_allclose(trees.proba(x), model.predict_proba(x)[:, 1], rtol=0, atol=1e-9)


def _rebuild(trees: TreeEnsemble, **changes: np.ndarray) -> TreeEnsemble:
    arrays = {**trees.arrays(), **changes}
    return from_arrays(
        arrays, bias=trees.bias, rate=trees.rate, depth=trees.depth, n_features=trees.n_features
    )


def test_round_trip_through_arrays(fitted: tuple[GradientBoostingClassifier, np.ndarray]) -> None:
    model, x = fitted
    trees = from_sklearn(model)
    np.testing.assert_array_equal(_rebuild(trees).proba(x), trees.proba(x))


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: {"left": np.where(t.left > 0, t.left + 10**6, t.left).astype(np.int32)},
        lambda t: {"feature": np.where(t.feature >= 0, 999, -1).astype(np.int32)},
        lambda t: {"value": np.full_like(t.value, np.nan)},
        lambda _t: {"roots": np.array([-1], dtype=np.int32)},
        lambda t: {"threshold": t.threshold.astype(np.float32)},
        lambda t: {"right": t.right[:-1]},
    ],
    ids=["child-out-of-range", "feature-out-of-range", "nan-values", "bad-root", "dtype", "short"],
)
def test_forged_arrays_are_refused(
    fitted: tuple[GradientBoostingClassifier, np.ndarray], forge: object
) -> None:
    trees = from_sklearn(fitted[0])
    with pytest.raises(SpecError):
        _rebuild(trees, **forge(trees))  # type: ignore[operator]


def test_wrong_feature_count_is_refused(
    fitted: tuple[GradientBoostingClassifier, np.ndarray],
) -> None:
    trees = from_sklearn(fitted[0])
    with pytest.raises(SpecError, match="features"):
        trees.proba(np.zeros((1, trees.n_features + 1)))
