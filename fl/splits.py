"""Split real loans into a simulation's parties: owners (random or by state), lender, test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from fedlend_core.errors import DataError
from fl.data import REFERENCE_DATE
from fl.features import EncodedData, SpecOptions, build_spec, encode
from fl.spec import ModelSpec

SPLITS = ("random", "state")


@dataclass(frozen=True)
class Split:
    """Encoded data of every party, all encoded by the lender's spec."""

    spec: ModelSpec
    owners: list[EncodedData]
    validation: EncodedData
    test: EncodedData


@dataclass(frozen=True)
class SplitConfig:
    """How to split loans: test = loans issued from `test_from` on (out of time); lender
    validation = a random `validation_size` of the rest (the spec is built from it); `owners`
    share the remainder, by random rows or by whole US states (`split="state"`, non-IID)."""

    owners: int
    split: str = "random"
    validation_size: int = 2375
    test_from: str = "2011-05"
    model: str = "logreg"
    seed: int = 0


def split_loans(frame: pd.DataFrame, config: SplitConfig) -> Split:
    """The parties' encoded data (see SplitConfig)."""
    split, owners, validation_size = config.split, config.owners, config.validation_size
    test_from, model, seed = config.test_from, config.model, config.seed
    if split not in SPLITS:
        raise DataError(f"split must be one of {SPLITS}, not {split!r}")
    is_test = frame[REFERENCE_DATE].str.strip() >= test_from
    test, rest = frame[is_test], frame[~is_test]
    order = np.random.default_rng(seed).permutation(len(rest))
    validation = rest.iloc[order[:validation_size]]
    pool = rest.iloc[order[validation_size:]]
    if test.empty or len(pool) < owners:
        raise DataError("too few loans to split into test, validation and owners")
    spec = build_spec(validation, SpecOptions(model=model))
    if split == "state":
        groups = by_state(pool["addr_state"].fillna("??").to_numpy(), owners)
        groups = [g for g in groups if len(g)]  # more owners than states: the rest get nothing
    else:
        groups = list(np.array_split(np.arange(len(pool)), owners))
    encoded = encode(spec, pool)  # row by row, so slicing equals encoding each owner apart
    return Split(
        spec=spec,
        owners=[_rows(encoded, idx) for idx in groups],
        validation=encode(spec, validation),
        test=encode(spec, test),
    )


def _rows(data: EncodedData, idx: np.ndarray) -> EncodedData:
    """Some rows of encoded data (contiguous copies)."""
    y = None if data.y is None else np.ascontiguousarray(data.y[idx])
    return EncodedData(X=np.ascontiguousarray(data.X[idx]), y=y)


def both_outcomes(data: EncodedData) -> bool:
    """True when the rows hold defaults and repaid loans (a model can be fit and scored)."""
    return data.y is not None and len(np.unique(data.y)) == 2


def by_state(states: np.ndarray, owners: int) -> list[np.ndarray]:
    """Row indices per owner: whole states, greedily balancing sizes (largest state first)."""
    sizes = pd.Series(states).value_counts()
    ranked = sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))
    totals = [0] * owners
    members: list[list[str]] = [[] for _ in range(owners)]
    for state, size in ranked:
        slot = min(range(owners), key=lambda i: (totals[i], i))
        totals[slot] += int(size)
        members[slot].append(state)
    return [np.flatnonzero(np.isin(states, group)) for group in members]


def sklearn_auc(train: list[EncodedData], test: EncodedData, *, C: float = 1.0) -> float:
    """Test ROC-AUC of a non-private scikit-learn logistic regression fit on `train`
    (DataError when the training rows lack one of the outcomes: no model can be fit)."""
    X = np.concatenate([d.X for d in train])
    y = np.concatenate([d.y for d in train if d.y is not None])
    if len(np.unique(y)) < 2:
        raise DataError("these loans hold only one outcome; a baseline needs both")
    model = LogisticRegression(C=C, max_iter=2000).fit(X, y)
    return float(roc_auc_score(test.y, model.predict_proba(test.X)[:, 1]))
