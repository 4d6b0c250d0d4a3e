"""Train everything: compare classifiers and clusterings, fit the served model, pick thresholds."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from signals import classifier, profile
from signals.dataset import AddressData
from signals.model import ServedModel
from signals.score import choose_thresholds, held_out
from signals.trees import from_sklearn

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SignalsConfig:
    """Classifier and profile settings for one training run."""

    train: classifier.TrainConfig = field(default_factory=classifier.TrainConfig)
    profiles: profile.ProfileConfig = field(default_factory=profile.ProfileConfig)
    compare_classifiers: bool = True


def train(data: AddressData, config: SignalsConfig, progress: Progress = print) -> ServedModel:
    """The served model (gradient boosting on the artifact-free rows) and the full report."""
    started = time.perf_counter()
    metrics = []
    if config.compare_classifiers:
        metrics = [m.to_dict() for m in classifier.compare(data, config.train, progress)]
    progress("served model: gradient boosting without artifact features")
    x, y = classifier.variant_data(data, "without_artifacts")
    x_train, x_test, y_train, y_test = classifier.split(x, y, config.train)
    folds = StratifiedKFold(config.train.cv_folds, shuffle=True, random_state=config.train.seed)
    booster = classifier.build("gradient_boosting", config.train)
    p_oof = cross_val_predict(booster, x_train, y_train, cv=folds, method="predict_proba")[:, 1]
    booster.fit(x_train, y_train)  # type: ignore[attr-defined]
    trees = from_sklearn(booster)
    thresholds = held_out(choose_thresholds(y_train, p_oof), y_test, trees.proba(x_test))
    progress("investor profiles: silhouette per method and K")
    profiles, silhouettes, seed_silhouettes = _profiles(data, config.profiles)
    report = {
        "classifiers": metrics,
        "served": {"model": "gradient_boosting", "variant": "without_artifacts"},
        "silhouettes": silhouettes,
        "seed_feature_silhouettes": seed_silhouettes,
        "rows": len(data.addresses),
        "artifact_rows": int(data.artifact.sum()),
        "seconds": round(time.perf_counter() - started, 1),
    }
    baseline = np.median(x_train[y_train == 0], axis=0)
    return ServedModel(trees, baseline, thresholds, profiles, report)


def _profiles(
    data: AddressData, config: profile.ProfileConfig
) -> tuple[profile.ProfileModel, list[dict[str, object]], list[dict[str, object]]]:
    z = profile.embed_fit(profile.raw_features(data.features, config), config)[0]
    results = profile.compare(z, config)
    seed_config = profile.ProfileConfig(
        features=profile.SEED_FEATURES, k_range=config.k_range, sample=config.sample
    )
    seed_z = profile.embed_fit(profile.raw_features(data.features, seed_config), seed_config)[0]
    seed_results = profile.compare(seed_z, seed_config)
    model = profile.fit_profiles(data.features, config, profile.best_k(results))
    return model, [_round(r) for r in results], [_round(r) for r in seed_results]


def _round(result: profile.Silhouette) -> dict[str, object]:
    return {
        "method": result.method,
        "k": result.k,
        "silhouette": round(result.silhouette, 4),
        "smallest_share": round(result.smallest_share, 4),
    }
