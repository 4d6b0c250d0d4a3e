"""Check loan applications cell by cell against a spec: per-row messages, never a lost batch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from fedlend_core.errors import DataError
from fl.data import POLICY_COLUMN, TARGET
from fl.features import EncodedData, encode, month_index, required_columns
from fl.spec import Feature, ModelSpec

ID_COLUMN = "id"
PLACEHOLDER_MONTH = "2000-01"
KNOWN_EXTRAS = {ID_COLUMN, TARGET, POLICY_COLUMN}


@dataclass(frozen=True)
class RowCheck:
    """One application's verdict: refused (errors) or scorable (maybe flagged with notes)."""

    app_id: str
    errors: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()

    @property
    def scorable(self) -> bool:
        """Whether the row can be scored (no errors)."""
        return not self.errors


@dataclass(frozen=True)
class Prepared:
    """A batch after checking: every row's verdict and the encoded scorable rows, in order."""

    checks: tuple[RowCheck, ...]
    encoded: EncodedData | None  # rows of the scorable checks only; None if none is scorable
    frame: pd.DataFrame  # the cleaned cells of the scorable rows (what was scored)
    missing_columns: tuple[str, ...]
    ignored_columns: tuple[str, ...]

    @property
    def scorable_index(self) -> np.ndarray:
        """Positions (in checks) of the scored rows."""
        return np.flatnonzero([c.scorable for c in self.checks])


def prepare(spec: ModelSpec, frame: pd.DataFrame) -> Prepared:
    """Check and encode applications; DataError only when no column the model needs is present."""
    needed = required_columns(spec, labels=False)
    missing = tuple(c for c in needed if c not in frame.columns)
    if len(missing) == len(needed):
        raise DataError(
            "none of the model's columns are in the file; it needs "
            f"{', '.join(needed[:8])}{' ...' if len(needed) > 8 else ''} (a header row)"
        )
    ignored = tuple(c for c in frame.columns if c not in needed and c not in KNOWN_EXTRAS)
    cells = pd.DataFrame(
        {c: frame[c].astype("string").str.strip() if c in frame else pd.NA for c in needed},
        index=frame.index,
        dtype="object",
    ).where(lambda f: f.notna() & (f != ""), np.nan)
    errors: list[list[str]] = [[] for _ in range(len(frame))]
    base = [f"column {c} is missing: treated as blank" for c in missing]
    flags: list[list[str]] = [list(base) for _ in range(len(frame))]
    for feature in spec.features:
        _check_feature(spec, feature, cells, errors, flags)
    _fill_references(spec, cells)
    ids = _ids(frame)
    checks = tuple(RowCheck(ids[i], tuple(errors[i]), tuple(flags[i])) for i in range(len(frame)))
    keep = [i for i, c in enumerate(checks) if c.scorable]
    scored = cells.iloc[keep].reset_index(drop=True)
    encoded = encode(spec, scored, labels=False) if keep else None
    return Prepared(checks, encoded, scored, missing, ignored)


def _ids(frame: pd.DataFrame) -> list[str]:
    if ID_COLUMN in frame.columns:
        raw = frame[ID_COLUMN].astype("string").fillna("").str.strip()
        return [v or f"row {i + 1}" for i, v in enumerate(raw.tolist())]
    return [f"row {i + 1}" for i in range(len(frame))]


def _check_feature(
    spec: ModelSpec,
    feature: Feature,
    cells: pd.DataFrame,
    errors: list[list[str]],
    flags: list[list[str]],
) -> None:
    raw = cells[feature.name]
    if feature.kind == "categorical":
        _check_category(feature, raw, flags)
    elif feature.kind == "numeric":
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        for i in np.flatnonzero(raw.notna().to_numpy() & ~np.isfinite(values)):
            errors[i].append(f"{feature.name} must be a number, not {raw.iloc[i]!r}")
        _check_range(spec, feature, values, raw, flags)
    else:
        _check_months(spec, feature, cells, errors, flags)


def _check_category(feature: Feature, raw: pd.Series, flags: list[list[str]]) -> None:
    known = raw.isin(feature.categories).to_numpy()
    present = raw.notna().to_numpy()
    for i in np.flatnonzero(present & ~known):
        flags[i].append(
            f"{feature.name} {raw.iloc[i]!r} is not a category the model knows: "
            "scored as none of them"
        )
    if not feature.missing_flag:
        for i in np.flatnonzero(~present):
            flags[i].append(f"{feature.name} is blank: scored as none of its categories")


def _check_range(
    spec: ModelSpec, feature: Feature, values: np.ndarray, raw: pd.Series, flags: list[list[str]]
) -> None:
    x = values.copy()
    if feature.transform == "log1p":
        negative = np.isfinite(x) & (x < 0)
        for i in np.flatnonzero(negative):
            flags[i].append(f"{feature.name} {raw.iloc[i]} is negative: scored as 0")
        x = np.log1p(np.where(negative, 0.0, x))
    z = (x - feature.mean) / feature.std
    out = np.isfinite(z) & (np.abs(z) > spec.clip)
    for i in np.flatnonzero(out):
        flags[i].append(
            f"{feature.name} {raw.iloc[i]} is outside the range the model was built on: "
            "scored at the edge of that range"
        )


def _check_months(
    spec: ModelSpec,
    feature: Feature,
    cells: pd.DataFrame,
    errors: list[list[str]],
    flags: list[list[str]],
) -> None:
    raw, ref_raw = cells[feature.name], cells[feature.reference]
    months, ref = month_index(raw), month_index(ref_raw)
    for i in np.flatnonzero((raw.notna() & months.isna()).to_numpy()):
        errors[i].append(f"{feature.name} must be a month like 1999-04, not {raw.iloc[i]!r}")
    for i in np.flatnonzero((ref_raw.notna() & ref.isna()).to_numpy()):
        errors[i].append(
            f"{feature.reference} must be a month like 2011-06, not {ref_raw.iloc[i]!r}"
        )
    no_ref = ref_raw.isna().to_numpy()
    for i in np.flatnonzero(no_ref & raw.notna().to_numpy()):
        flags[i].append(
            f"{feature.reference} (the application month) is blank: "
            f"{feature.name} scored as a typical value"
        )
    _check_range(spec, feature, (ref - months).to_numpy(dtype=float), raw, flags)


def _fill_references(spec: ModelSpec, cells: pd.DataFrame) -> None:
    """A blank application month: its date features become blank (imputed), the month a filler."""
    dated = [f for f in spec.features if f.kind == "months_before"]
    blank = {f.reference: cells[f.reference].isna().to_numpy() for f in dated}
    for feature in dated:
        cells.loc[blank[feature.reference], feature.name] = np.nan
    for reference, mask in blank.items():
        cells.loc[mask, reference] = PLACEHOLDER_MONTH
