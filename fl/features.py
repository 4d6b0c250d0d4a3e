"""Deduce a spec's features from the lender's data, and encode any owner's loans by that spec."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fedlend_core.errors import DataError, SpecError
from fl.data import POLICY_COLUMN, REFERENCE_DATE, TARGET, is_leakage, target_vector
from fl.spec import Feature, ModelConfig, ModelSpec, TrainingDefaults
from fl.spec_checks import validate_spec

MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})(?:-\d{1,2})?$")
NAMED_MONTH = re.compile(r"^([A-Za-z]{3})-(\d{4})$")
SKEW_FOR_LOG = 3.0


@dataclass(frozen=True)
class EncodedData:
    """Model-ready rows: X (n x d float32), y (n float32 or None), unknown category counts."""

    X: np.ndarray
    y: np.ndarray | None
    unknown_categories: Mapping[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self.X.shape[0])

    @property
    def labels(self) -> np.ndarray:
        """y, or DataError when the rows were encoded without the target column."""
        if self.y is None:
            raise DataError(f"the data has no {TARGET!r} column: add the loan outcomes to score it")
        return self.y


@dataclass(frozen=True)
class SpecOptions:
    """What the lender chooses for a spec; the rest is deduced from its loans. `features` None:
    every usable column (minus `exclude`); an explicit list is checked against the data."""

    model: str = "logreg"
    hidden: int = 16  # MLP hidden units (0 for logistic regression)
    metric: str = "roc_auc"
    features: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    max_categories: int = 60
    training: TrainingDefaults | None = None
    metadata: Mapping[str, str] | None = None
    policy_only: bool = True


def build_spec(frame: pd.DataFrame, options: SpecOptions | None = None) -> ModelSpec:
    """A spec deduced from the lender's loans (fl.data.load_loans): types, scales, categories."""
    o = options or SpecOptions()
    model, hidden, metric, features = o.model, o.hidden, o.metric, o.features
    if features is not None:
        for name in features:
            if name == TARGET or is_leakage(name):
                raise SpecError(
                    f"{name!r} cannot be a feature: it is the target or known only later"
                )
        missing = [name for name in features if name not in frame.columns]
        if missing:
            raise SpecError(f"columns not in the data: {', '.join(missing)}")
    names = list(features) if features is not None else _candidate_columns(frame, o.exclude)
    deduced = [_deduce(frame, name, max_categories=o.max_categories) for name in names]
    if features is not None and None in deduced:
        bad = [n for n, f in zip(names, deduced, strict=True) if f is None]
        raise SpecError(f"columns unusable as features (constant or too many values): {bad}")
    spec = ModelSpec(
        features=tuple(f for f in deduced if f is not None),
        model=ModelConfig(kind=model, hidden=hidden if model == "mlp" else 0),
        metric=metric,
        training=o.training or TrainingDefaults(),
        policy_only=o.policy_only,
        metadata=dict(o.metadata or {}),
    )
    validate_spec(spec)
    return spec


def _candidate_columns(frame: pd.DataFrame, exclude: Sequence[str]) -> list[str]:
    skip = {TARGET, POLICY_COLUMN, REFERENCE_DATE, *exclude}
    return [c for c in frame.columns if c not in skip and not is_leakage(c)]


def _deduce(frame: pd.DataFrame, name: str, *, max_categories: int) -> Feature | None:
    raw = frame[name].str.strip()
    present = raw.dropna()
    if present.nunique() < 2 and not (raw.isna().any() and present.nunique() == 1):
        return None
    numbers = pd.to_numeric(present, errors="coerce")
    if not numbers.isna().any():
        return _numeric(name, pd.to_numeric(raw, errors="coerce"), kind="numeric")
    if REFERENCE_DATE in frame.columns and month_index(present).notna().all():
        months = month_index(frame[REFERENCE_DATE].str.strip()) - month_index(raw)
        return _numeric(name, months, kind="months_before")
    if present.nunique() > max_categories:
        return None
    return Feature(
        name=name,
        kind="categorical",
        categories=tuple(sorted(present.unique())),
        missing_flag=bool(raw.isna().any()),
    )


def _numeric(name: str, values: pd.Series, *, kind: str) -> Feature:
    present = values.dropna().astype(float)
    transform = "none"
    if present.min() >= 0 and abs(float(present.skew())) > SKEW_FOR_LOG:
        transform = "log1p"
        present = np.log1p(present)
    std = float(present.std(ddof=0))
    return Feature(
        name=name,
        kind=kind,
        mean=_round(float(present.mean())),
        std=_round(std) if std > 1e-12 else 1.0,
        impute=_round(float(present.median())),
        transform=transform,
        missing_flag=bool(values.isna().any()),
        reference=REFERENCE_DATE if kind == "months_before" else "",
    )


def _round(x: float) -> float:
    """12 significant digits: the same spec from the same data on any machine."""
    return float(f"{x:.12g}")


def month_index(values: pd.Series) -> pd.Series:
    """YYYY-MM[-DD] or Mon-YYYY strings as a month count (year*12 + month); NaN if unparsable."""
    return values.map(_month_of, na_action="ignore").astype(float)


def _month_of(text: str) -> float:
    iso = ISO_MONTH.match(text)
    if iso and 1 <= int(iso.group(2)) <= 12:
        return int(iso.group(1)) * 12 + int(iso.group(2)) - 1
    named = NAMED_MONTH.match(text)
    if named and named.group(1).lower() in MONTHS:
        return int(named.group(2)) * 12 + MONTHS[named.group(1).lower()]
    return float("nan")


def required_columns(spec: ModelSpec, *, labels: bool = True) -> list[str]:
    """Columns a CSV must have to be encoded by this spec."""
    cols = [f.name for f in spec.features]
    refs = sorted({f.reference for f in spec.features if f.kind == "months_before"})
    return cols + refs + ([spec.target] if labels else [])


def encode(spec: ModelSpec, frame: pd.DataFrame, *, labels: bool = True) -> EncodedData:
    """Encode loans exactly as the spec says; DataError names missing columns or bad values."""
    missing = [c for c in required_columns(spec, labels=labels) if c not in frame.columns]
    if missing:
        raise DataError(f"missing required columns: {', '.join(missing)}")
    if frame.empty:
        raise DataError("no loans to encode; the file has no rows in the model's population")
    blocks: list[np.ndarray] = []
    unknown: dict[str, int] = {}
    for feature in spec.features:
        raw = frame[feature.name].str.strip()
        if feature.kind == "categorical":
            block, n_unknown = _encode_categorical(feature, raw)
            if n_unknown:
                unknown[feature.name] = n_unknown
        else:
            block = _encode_numeric(feature, _numeric_values(feature, raw, frame), spec.clip)
        blocks.append(block)
    X = np.ascontiguousarray(np.concatenate(blocks, axis=1), dtype=np.float32)
    y = target_vector(frame) if labels else None
    return EncodedData(X=X, y=y, unknown_categories=unknown)


def _numeric_values(feature: Feature, raw: pd.Series, frame: pd.DataFrame) -> np.ndarray:
    if feature.kind == "numeric":
        values = pd.to_numeric(raw, errors="coerce")
        _refuse_bad(feature.name, raw, values, "a number")
        return values.to_numpy(dtype=np.float64)
    months = month_index(raw)
    _refuse_bad(feature.name, raw, months, "a month like 1999-04 or Apr-1999")
    reference = month_index(frame[feature.reference].str.strip())
    _refuse_bad(feature.reference, frame[feature.reference].str.strip(), reference, "a month")
    return (reference - months).to_numpy(dtype=np.float64)


def _refuse_bad(name: str, raw: pd.Series, parsed: pd.Series, what: str) -> None:
    bad = raw.notna() & parsed.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"column {name} must hold {what}; data row {row + 1} has {raw.iloc[row]!r}. "
            "Fix or blank that cell"
        )


def _encode_numeric(feature: Feature, values: np.ndarray, clip: float) -> np.ndarray:
    missing = ~np.isfinite(values)
    x = values.copy()
    if feature.transform == "log1p":
        x = np.log1p(np.maximum(np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0), 0.0))
    x[missing] = feature.impute
    x = np.clip((x - feature.mean) / feature.std, -clip, clip)
    cols = [x]
    if feature.missing_flag:
        cols.append(missing.astype(np.float64))
    return np.stack(cols, axis=1)


def _encode_categorical(feature: Feature, raw: pd.Series) -> tuple[np.ndarray, int]:
    codes = pd.Index(feature.categories).get_indexer(raw)  # -1 = unknown or missing
    onehot = np.zeros((len(raw), len(feature.categories) + feature.missing_flag), np.float64)
    known = codes >= 0
    onehot[np.flatnonzero(known), codes[known]] = 1.0
    is_missing = raw.isna().to_numpy()
    if feature.missing_flag:
        onehot[:, -1] = is_missing
    return onehot, int((~known & ~is_missing).sum())
