"""Investor profiles: power transform, scaling, PCA; K-means, GMM, hierarchical by silhouette."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import PowerTransformer, StandardScaler

from fedlend_core.errors import SpecError

# The seed's three features (net flow stands in for the balance; see the data README) ...
SEED_FEATURES: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "balance (net ETH flow)": lambda f: f["total ether balance"],
    "unique transfers": lambda f: f["Sent tnx"] + f["Received Tnx"],
    "unique tokens": lambda f: f["ERC20 uniq rec token name"],
}
# ... and the served ones: the net flow is not a balance, token activity separates better.
PROFILE_FEATURES: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "normal transactions": lambda f: f["Sent tnx"] + f["Received Tnx"],
    "token transfers": lambda f: f["Total ERC20 tnxs"],
    "distinct tokens": lambda f: f["ERC20 uniq rec token name"] + f["ERC20 uniq sent token name"],
}
METHODS = ("kmeans", "gmm", "hierarchical")
K_RANGE = range(2, 8)
MIN_PROFILES = 3  # fewer is a split, not profiles a person can tell apart
SILHOUETTE_SAMPLE = 2500


@dataclass(frozen=True)
class ProfileConfig:
    """Which features, which K to try, how many rows the quadratic steps may use."""

    features: Mapping[str, Callable[[pd.DataFrame], pd.Series]] = None  # type: ignore[assignment]
    k_range: tuple[int, ...] = tuple(K_RANGE)
    sample: int = SILHOUETTE_SAMPLE
    seed: int = 0

    def feature_map(self) -> Mapping[str, Callable[[pd.DataFrame], pd.Series]]:
        """The configured features (default: the served ones)."""
        return self.features or PROFILE_FEATURES


@dataclass(frozen=True)
class Silhouette:
    """One method at one K."""

    method: str
    k: int
    silhouette: float
    smallest_share: float  # the smallest cluster's share of the rows


@dataclass(frozen=True)
class ProfileModel:
    """Everything needed to place one address: transform arrays, centroids and profile names."""

    feature_names: tuple[str, ...]
    lambdas: np.ndarray  # Yeo-Johnson lambda per feature
    power_mean: np.ndarray  # the power transform's standardisation
    power_scale: np.ndarray
    scale_mean: np.ndarray  # the pipeline's StandardScaler
    scale_scale: np.ndarray
    pca_mean: np.ndarray
    pca_components: np.ndarray  # components x features
    centroids: np.ndarray  # K x components (K-means)
    names: tuple[str, ...]
    silhouette: float

    def embed(self, raw: np.ndarray) -> np.ndarray:
        """Rows of raw feature values -> PCA coordinates."""
        z = yeo_johnson(np.asarray(raw, dtype=np.float64), self.lambdas) - self.power_mean
        z = z / self.power_scale
        z = (z - self.scale_mean) / self.scale_scale
        return (z - self.pca_mean) @ self.pca_components.T

    def assign(self, raw: np.ndarray) -> np.ndarray:
        """The nearest centroid per row."""
        d = ((self.embed(raw)[:, None, :] - self.centroids[None, :, :]) ** 2).sum(axis=2)
        return d.argmin(axis=1)

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays, for safetensors."""
        return {name: getattr(self, name) for name in ARRAY_NAMES}


ARRAY_NAMES = (
    "lambdas",
    "power_mean",
    "power_scale",
    "scale_mean",
    "scale_scale",
    "pca_mean",
    "pca_components",
    "centroids",
)


def yeo_johnson(x: np.ndarray, lambdas: np.ndarray) -> np.ndarray:
    """The Yeo-Johnson power transform, column by column (as scikit-learn defines it)."""
    out = np.empty_like(x, dtype=np.float64)
    for j, lam in enumerate(lambdas):
        col, pos = x[:, j], x[:, j] >= 0
        if abs(lam) < 1e-12:
            out[pos, j] = np.log1p(col[pos])
        else:
            out[pos, j] = ((col[pos] + 1) ** lam - 1) / lam
        if abs(lam - 2) < 1e-12:
            out[~pos, j] = -np.log1p(-col[~pos])
        else:
            out[~pos, j] = -((-col[~pos] + 1) ** (2 - lam) - 1) / (2 - lam)
    return out


def raw_features(features: pd.DataFrame, config: ProfileConfig) -> np.ndarray:
    """The profile features of every row (missing cells as 0)."""
    filled = features.fillna(0.0)
    return np.column_stack([fn(filled).to_numpy(float) for fn in config.feature_map().values()])


def embed_fit(raw: np.ndarray, config: ProfileConfig) -> tuple[np.ndarray, dict[str, Any]]:
    """Fit the seed's pipeline (power transform, scaling, PCA); the coordinates and the parts."""
    power = PowerTransformer(method="yeo-johnson", standardize=True).fit(raw)
    scaler = StandardScaler().fit(power.transform(raw))
    pca = PCA(n_components=raw.shape[1], random_state=config.seed)
    z = pca.fit_transform(scaler.transform(power.transform(raw)))
    return z, {"power": power, "scaler": scaler, "pca": pca}


def cluster(method: str, z: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Labels of one method at one K."""
    if method == "kmeans":
        return KMeans(k, n_init=4, random_state=seed).fit_predict(z)
    if method == "gmm":
        return GaussianMixture(k, random_state=seed, n_init=2).fit(z).predict(z)
    return AgglomerativeClustering(k, linkage="ward").fit_predict(z)


def compare(z: np.ndarray, config: ProfileConfig) -> list[Silhouette]:
    """Silhouette per method and K, every method on the same row sample."""
    rng = np.random.default_rng(config.seed)
    sample = z if len(z) <= config.sample else z[rng.choice(len(z), config.sample, replace=False)]
    out = []
    for method in METHODS:
        for k in config.k_range:
            labels = cluster(method, sample, k, config.seed)
            shares = np.bincount(labels, minlength=k) / len(labels)
            score = silhouette_score(sample, labels) if len(set(labels)) > 1 else -1.0
            out.append(Silhouette(method, k, float(score), float(shares.min())))
    return out


def best_k(results: list[Silhouette], method: str = "kmeans") -> int:
    """The K with the highest silhouette for `method`, among K >= MIN_PROFILES."""
    eligible = [r for r in results if r.method == method and r.k >= MIN_PROFILES]
    if not eligible:
        raise SpecError(f"no K >= {MIN_PROFILES} was tried for {method}")
    return max(eligible, key=lambda r: r.silhouette).k


def fit_profiles(features: pd.DataFrame, config: ProfileConfig, k: int) -> ProfileModel:
    """K-means at K on all rows, with profile names from each cluster's medians."""
    raw = raw_features(features, config)
    z, parts = embed_fit(raw, config)
    kmeans = KMeans(k, n_init=4, random_state=config.seed).fit(z)
    power, scaler, pca = parts["power"], parts["scaler"], parts["pca"]
    labels = kmeans.labels_
    rng = np.random.default_rng(config.seed)
    idx = rng.choice(len(z), min(len(z), config.sample), replace=False)
    medians = np.array([np.median(raw[labels == c], axis=0) for c in range(k)])
    return ProfileModel(
        feature_names=tuple(config.feature_map()),
        lambdas=power.lambdas_.astype(np.float64),
        power_mean=power._scaler.mean_.astype(np.float64),
        power_scale=power._scaler.scale_.astype(np.float64),
        scale_mean=scaler.mean_.astype(np.float64),
        scale_scale=scaler.scale_.astype(np.float64),
        pca_mean=pca.mean_.astype(np.float64),
        pca_components=pca.components_.astype(np.float64),
        centroids=kmeans.cluster_centers_.astype(np.float64),
        names=name_profiles(medians),
        silhouette=float(silhouette_score(z[idx], labels[idx])),
    )


def name_profiles(medians: np.ndarray) -> tuple[str, ...]:
    """Plain-words names from (normal transactions, token transfers, distinct tokens) medians."""
    names: list[str] = []
    for tx, transfers, tokens in medians:
        pace = "dormant" if tx + transfers <= 3 else "occasional" if tx <= 30 else "active"
        kind = (
            "ETH-only wallet"
            if tokens < 1
            else "token holder"
            if tokens <= 3 and transfers <= 10
            else "token trader"
        )
        name = f"{pace} {kind}"
        while name in names:
            name += " (busier)" if tx > 30 else " (variant)"
        names.append(name)
    return tuple(names)
