"""Risk classifiers (Random Forest, KNN, SVM, gradient boosting): one split, CV, metric set."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.svm import SVC

from signals.dataset import AddressData

MODEL_NAMES = ("random_forest", "knn", "svm", "gradient_boosting")


@dataclass(frozen=True)
class TrainConfig:
    """Sizes and seeds for every classifier (tests shrink them; defaults are what ships)."""

    test_size: float = 0.25
    cv_folds: int = 5
    seed: int = 0
    forest_trees: int = 300
    boosting_trees: int = 200
    boosting_depth: int = 3
    boosting_rate: float = 0.1
    knn_neighbours: int = 15
    max_rows: int = 0  # 0: all rows; else a stratified sample of this many (for quick runs)


@dataclass(frozen=True)
class Metrics:
    """Held-out figures of one classifier (threshold 0.5, or 0 on the SVM's margin)."""

    model: str
    variant: str
    accuracy: float
    precision: float
    recall: float
    f1: float
    roc_auc: float
    cv_roc_auc: float
    cv_roc_auc_std: float
    n_train: int
    n_test: int
    seconds: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready, figures rounded to 4 places."""
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in self.__dict__.items()}


def signed_log(x: np.ndarray) -> np.ndarray:
    """sign(x) * log1p(|x|): tames the power-law amounts for distance-based models."""
    return np.sign(x) * np.log1p(np.abs(x))


def build(name: str, config: TrainConfig) -> object:
    """An unfitted classifier by name."""
    scaled: Callable[[object], Pipeline] = lambda est: make_pipeline(  # noqa: E731
        FunctionTransformer(signed_log), StandardScaler(), est
    )
    factories: dict[str, Callable[[], object]] = {
        "random_forest": lambda: RandomForestClassifier(
            config.forest_trees, class_weight="balanced", random_state=config.seed, n_jobs=1
        ),
        "knn": lambda: scaled(KNeighborsClassifier(config.knn_neighbours, weights="distance")),
        "svm": lambda: scaled(SVC(class_weight="balanced", random_state=config.seed)),
        "gradient_boosting": lambda: GradientBoostingClassifier(
            n_estimators=config.boosting_trees,
            max_depth=config.boosting_depth,
            learning_rate=config.boosting_rate,
            random_state=config.seed,
        ),
    }
    return factories[name]()


def design_matrix(data: AddressData, *, with_artifacts: bool) -> np.ndarray:
    """Features with missing cells as 0; `with_artifacts` adds the empty-ERC20-block indicator."""
    x = data.features.fillna(0.0).to_numpy(dtype=np.float64)
    if with_artifacts:
        x = np.column_stack([x, data.erc20_missing.astype(np.float64)])
    return x


def variant_data(data: AddressData, variant: str) -> tuple[np.ndarray, np.ndarray]:
    """with_artifacts: all rows + the indicator; without_artifacts: artifact rows dropped."""
    if variant == "with_artifacts":
        return design_matrix(data, with_artifacts=True), data.labels
    clean = data.subset(~data.artifact)
    return design_matrix(clean, with_artifacts=False), clean.labels


def split(x: np.ndarray, y: np.ndarray, config: TrainConfig) -> tuple[np.ndarray, ...]:
    """The one stratified split every model uses (after the optional stratified sample)."""
    if config.max_rows and config.max_rows < len(y):
        x, _, y, _ = train_test_split(
            x, y, train_size=config.max_rows, stratify=y, random_state=config.seed
        )
    return tuple(
        train_test_split(x, y, test_size=config.test_size, stratify=y, random_state=config.seed)
    )


def scores(model: object, x: np.ndarray) -> np.ndarray:
    """Positive-class probability, or the SVM's signed margin (threshold 0)."""
    if hasattr(model, "predict_proba"):
        return model.predict_proba(x)[:, 1]
    return model.decision_function(x)  # type: ignore[attr-defined]


def evaluate(name: str, data: AddressData, variant: str, config: TrainConfig) -> Metrics:
    """Fit on the shared split, cross-validate ROC-AUC on the training part, score the test part."""
    started = time.perf_counter()
    x_train, x_test, y_train, y_test = split(*variant_data(data, variant), config)
    folds = StratifiedKFold(config.cv_folds, shuffle=True, random_state=config.seed)
    cv = cross_val_score(build(name, config), x_train, y_train, cv=folds, scoring="roc_auc")
    model = build(name, config)
    model.fit(x_train, y_train)  # type: ignore[attr-defined]
    s = scores(model, x_test)
    predicted = s >= (0.0 if name == "svm" else 0.5)
    return Metrics(
        model=name,
        variant=variant,
        accuracy=float(accuracy_score(y_test, predicted)),
        precision=float(precision_score(y_test, predicted, zero_division=0)),
        recall=float(recall_score(y_test, predicted)),
        f1=float(f1_score(y_test, predicted)),
        roc_auc=float(roc_auc_score(y_test, s)),
        cv_roc_auc=float(cv.mean()),
        cv_roc_auc_std=float(cv.std()),
        n_train=len(y_train),
        n_test=len(y_test),
        seconds=time.perf_counter() - started,
    )


def compare(
    data: AddressData,
    config: TrainConfig,
    progress: Callable[[str], None] = lambda _m: None,
) -> list[Metrics]:
    """Every model on both variants."""
    out: list[Metrics] = []
    for variant in ("with_artifacts", "without_artifacts"):
        for name in MODEL_NAMES:
            progress(f"{name} ({variant.replace('_', ' ')})")
            out.append(evaluate(name, data, variant, config))
    return out
