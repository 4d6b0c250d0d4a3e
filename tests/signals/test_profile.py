"""The profile pipeline reproduces scikit-learn's transforms and names clusters in plain words."""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import PowerTransformer

from signals.dataset import AddressData
from signals.model import ServedModel
from signals.profile import (
    ProfileConfig,
    best_k,
    compare,
    embed_fit,
    name_profiles,
    raw_features,
    yeo_johnson,
)


def test_yeo_johnson_matches_sklearn(address_data: AddressData) -> None:
    raw = raw_features(address_data.features, ProfileConfig())
    raw = np.column_stack(
        [raw, address_data.features["total ether balance"].fillna(0)]
    )  # negatives
    power = PowerTransformer(standardize=False).fit(raw)
    np.testing.assert_allclose(yeo_johnson(raw, power.lambdas_), power.transform(raw), rtol=1e-9)


def test_served_embedding_matches_the_fitted_pipeline(
    address_data: AddressData, quick_model: ServedModel
) -> None:
    config = ProfileConfig()
    raw = raw_features(address_data.features, config)
    z, _parts = embed_fit(raw, config)
    np.testing.assert_allclose(quick_model.profiles.embed(raw), z, atol=1e-8)


def test_silhouette_table_covers_every_method_and_k(address_data: AddressData) -> None:
    config = ProfileConfig(k_range=(2, 3), sample=400)
    z, _ = embed_fit(raw_features(address_data.features, config), config)
    results = compare(z, config)
    assert {(r.method, r.k) for r in results} == {
        (m, k) for m in ("kmeans", "gmm", "hierarchical") for k in (2, 3)
    }
    assert all(-1.0 <= r.silhouette <= 1.0 for r in results)
    assert best_k(results) == 3  # K=2 is a split, not profiles


def test_profiles_are_named_in_plain_words() -> None:
    names = name_profiles(np.array([[1, 0, 0], [200, 40, 9], [8, 1, 1], [150, 50, 12]]))
    assert names[0] == "dormant ETH-only wallet"
    assert names[1] == "active token trader"
    assert names[2] == "occasional token holder"
    assert len(set(names)) == 4  # duplicates get told apart


def test_quick_model_profiles_differ(quick_model: ServedModel) -> None:
    assert len(set(quick_model.profiles.names)) == len(quick_model.profiles.names) >= 3
