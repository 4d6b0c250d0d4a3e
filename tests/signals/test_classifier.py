"""Every classifier: one split, the same figures, with and without the artifact features."""

from __future__ import annotations

import numpy as np

from signals.classifier import MODEL_NAMES, TrainConfig, compare, split, variant_data
from signals.dataset import AddressData

SMALL = TrainConfig(cv_folds=3, forest_trees=20, boosting_trees=20, max_rows=1200)


def test_both_variants_for_all_four_models(address_data: AddressData) -> None:
    seen: list[str] = []
    results = compare(address_data, SMALL, seen.append)
    assert [(m.model, m.variant) for m in results] == [
        (name, variant)
        for variant in ("with_artifacts", "without_artifacts")
        for name in MODEL_NAMES
    ]
    assert len(seen) == 8
    for m in results:
        assert 0.5 < m.roc_auc <= 1.0
        assert 0.0 <= m.f1 <= 1.0
        assert m.n_train == 900
        assert m.n_test == 300


def test_without_artifacts_drops_the_artifact_rows(address_data: AddressData) -> None:
    x_all, y_all = variant_data(address_data, "with_artifacts")
    x_clean, y_clean = variant_data(address_data, "without_artifacts")
    assert x_all.shape[1] == x_clean.shape[1] + 1  # the empty-ERC20-block indicator
    assert len(y_clean) == len(y_all) - int(address_data.artifact.sum())


def test_the_split_is_stratified_and_repeatable(address_data: AddressData) -> None:
    x, y = variant_data(address_data, "without_artifacts")
    first = split(x, y, TrainConfig())
    again = split(x, y, TrainConfig())
    np.testing.assert_array_equal(first[3], again[3])
    assert abs(first[2].mean() - first[3].mean()) < 0.01
