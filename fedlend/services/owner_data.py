"""An owner's CSV checked column by column (against a model's spec when one is chosen)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fedlend.errors import DataError
from fedlend.services.catalog import load_bounty
from fedlend.services.node import Node
from fl.data import MIN_TRAINING_LOANS, POLICY_COLUMN, TARGET, load_loans, meets_policy, sha256_hex
from fl.features import encode, month_index
from fl.spec import ModelSpec

MAX_EXAMPLE_CHARS = 40
HEADER_LINES = 1
MAX_CACHED_CHECKS = 256
_CHECKS: OrderedDict[tuple[str, bytes, int | None], DataCheck] = OrderedDict()
_CHECKS_LOCK = threading.Lock()


@dataclass(frozen=True)
class ColumnCheck:
    """One required column: is it there, how many cells are empty or unusable, a first bad one."""

    name: str
    kind: str  # numeric | categorical | month | target
    present: bool
    missing: int = 0
    malformed: int = 0
    example: str = ""  # the first unusable value (shortened)
    line: int | None = None  # its line in the CSV (the header is line 1)
    unknown: int = 0  # categorical values the model has not seen (encoded as "other")

    @property
    def ok(self) -> bool:
        """Present, and every non-empty cell is usable (the target may not be empty either)."""
        return self.present and not self.malformed


@dataclass(frozen=True)
class DataCheck:
    """A dataset as the owner app shows it: size, outcome rate, gaps, and what stops training."""

    sha256: str
    rows: int  # loans in the model population (meets_credit_policy == 1 when that column exists)
    file_rows: int
    default_rate: float | None
    missing_values: dict[str, int]  # empty cells per column (columns with none are left out)
    columns: list[ColumnCheck]  # the target, plus every column the chosen model needs
    problems: list[str]
    model_id: int | None = None

    @property
    def missing_columns(self) -> list[str]:
        """Required columns the file lacks."""
        return [c.name for c in self.columns if not c.present]

    @property
    def malformed_columns(self) -> list[ColumnCheck]:
        """Required columns holding values the model cannot read."""
        return [c for c in self.columns if c.present and c.malformed]

    @property
    def ok(self) -> bool:
        """True when the file can be trained on (by the chosen model, if any)."""
        return not self.problems and all(c.ok for c in self.columns)


def inspect_data(node: Node, data: bytes, *, model_id: int | None = None) -> DataCheck:
    """Check CSV bytes (plain or gzip); DataError if they are not a readable CSV at all.

    The check of one file against one spec is remembered (by content hash and spec digest), so
    viewing a kept dataset again does not parse it again."""
    spec = None
    if model_id is not None:
        spec = load_bounty(node, node.client.get_model(model_id)).require_spec()
    key = (sha256_hex(data), spec.digest if spec is not None else b"", model_id)
    with _CHECKS_LOCK:
        found = _CHECKS.get(key)
        if found is not None:
            _CHECKS.move_to_end(key)
            return found
    check = check_frame(
        load_loans(data, policy_only=False, require_target=False),
        data,
        spec=spec,
        model_id=model_id,
    )
    with _CHECKS_LOCK:
        _CHECKS[key] = check
        while len(_CHECKS) > MAX_CACHED_CHECKS:
            _CHECKS.popitem(last=False)
    return check


def check_frame(
    raw: pd.DataFrame, data: bytes, *, spec: ModelSpec | None, model_id: int | None = None
) -> DataCheck:
    """The DataCheck of an unfiltered frame (index = data row, so lines can be named)."""
    frame = _population(raw)
    problems: list[str] = []
    if frame.empty:
        problems.append(f"no loans have {POLICY_COLUMN} = 1: the models cover only those loans")
    elif spec is not None and len(frame) < MIN_TRAINING_LOANS:
        problems.append(
            f"only {len(frame):,} loans: training needs at least {MIN_TRAINING_LOANS}; "
            "add more loans before contributing"
        )
    columns = [_target_check(frame)]
    if spec is not None:
        columns += [_feature_check(spec, name, kind, frame) for name, kind in _needs(spec)]
        if not problems and all(c.ok for c in columns):
            problems += _encode_problems(spec, frame)
    missing = {str(c): int(n) for c, n in frame.isna().sum().items() if n}
    return DataCheck(
        sha256=sha256_hex(data),
        rows=len(frame),
        file_rows=len(raw),
        default_rate=_default_rate(frame),
        missing_values=dict(sorted(missing.items(), key=lambda kv: (-kv[1], kv[0]))),
        columns=columns,
        problems=problems,
        model_id=model_id,
    )


def _population(raw: pd.DataFrame) -> pd.DataFrame:
    if POLICY_COLUMN not in raw.columns:
        return raw
    return raw[meets_policy(raw)]


def _needs(spec: ModelSpec) -> list[tuple[str, str]]:
    kinds = {"numeric": "numeric", "categorical": "categorical", "months_before": "month"}
    out = [(f.name, kinds.get(f.kind, f.kind)) for f in spec.features]
    refs = sorted({f.reference for f in spec.features if f.kind == "months_before"})
    return out + [(r, "month") for r in refs if r not in {name for name, _ in out}]


def _target_check(frame: pd.DataFrame) -> ColumnCheck:
    if TARGET not in frame.columns:
        return ColumnCheck(TARGET, "target", present=False)
    raw = frame[TARGET]
    values = pd.to_numeric(raw.str.strip(), errors="coerce")
    bad = ~values.isin([0, 1])  # an empty outcome is unusable too
    return _with_example(ColumnCheck(TARGET, "target", True, int(raw.isna().sum())), raw, bad)


def _feature_check(spec: ModelSpec, name: str, kind: str, frame: pd.DataFrame) -> ColumnCheck:
    if name not in frame.columns:
        return ColumnCheck(name, kind, present=False)
    raw = frame[name].str.strip()
    check = ColumnCheck(name, kind, True, int(raw.isna().sum()))
    if kind == "categorical":
        feature = next(f for f in spec.features if f.name == name)
        unknown = raw.notna() & ~raw.isin(feature.categories)
        return ColumnCheck(name, kind, True, check.missing, unknown=int(unknown.sum()))
    parsed = pd.to_numeric(raw, errors="coerce") if kind == "numeric" else month_index(raw)
    return _with_example(check, raw, raw.notna() & parsed.isna())


def _with_example(check: ColumnCheck, raw: pd.Series, bad: pd.Series) -> ColumnCheck:
    if not bad.any():
        return check
    first = int(np.flatnonzero(bad.to_numpy())[0])
    value = raw.iloc[first]
    example = "(empty)" if pd.isna(value) else str(value)
    if len(example) > MAX_EXAMPLE_CHARS:
        example = example[: MAX_EXAMPLE_CHARS - 1] + "…"
    line = int(raw.index[first]) + HEADER_LINES + 1
    return ColumnCheck(
        check.name, check.kind, True, check.missing, int(bad.sum()), example, line, check.unknown
    )


def _encode_problems(spec: ModelSpec, frame: pd.DataFrame) -> list[str]:
    """Anything the column checks missed that would still stop training (they never pass more)."""
    try:
        encode(spec, frame.reset_index(drop=True))
    except DataError as exc:
        return [str(exc)]
    return []


def _default_rate(frame: pd.DataFrame) -> float | None:
    if TARGET not in frame.columns:
        return None
    values = pd.to_numeric(frame[TARGET].str.strip(), errors="coerce")
    values = values[values.isin([0, 1])]
    return float(values.mean()) if len(values) else None
