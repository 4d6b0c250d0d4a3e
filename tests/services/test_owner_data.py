"""The owner's data check (services/owner_data.check_frame) on real loans, through a real spec."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from fedlend.services.owner_data import check_frame
from fedlend.settings import SHIPPED_LOANS
from fl.data import POLICY_COLUMN, TARGET, load_loans
from fl.features import build_spec
from fl.spec import ModelSpec


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """400 shipped loans of every policy status, as an owner's file would hold them."""
    return load_loans(SHIPPED_LOANS, policy_only=False).head(400)


@pytest.fixture(scope="module")
def spec() -> ModelSpec:
    """A spec deduced from 2,000 of the shipped policy loans."""
    return build_spec(load_loans(SHIPPED_LOANS).head(2000))


def _csv(frame: pd.DataFrame) -> bytes:
    out = io.StringIO()
    frame.to_csv(out, index=False)
    return out.getvalue().encode()


def test_a_good_file_is_summarised_for_the_owner(frame: pd.DataFrame, spec: ModelSpec) -> None:
    check = check_frame(frame, _csv(frame), spec=spec, model_id=7)
    policy = frame[frame[POLICY_COLUMN].str.strip() == "1"]
    assert check.ok, check.problems
    assert check.file_rows == 400
    assert check.rows == len(policy)
    assert check.default_rate == pytest.approx(policy[TARGET].astype(int).mean())
    assert check.missing_values["mths_since_last_delinq"] == int(
        policy["mths_since_last_delinq"].isna().sum()
    )
    assert check.columns[0].name == TARGET
    assert {f.name for f in spec.features} <= {c.name for c in check.columns[1:]}
    assert check.model_id == 7


def test_a_missing_feature_column_is_named(frame: pd.DataFrame, spec: ModelSpec) -> None:
    cut = frame.drop(columns=["annual_inc"])
    check = check_frame(cut, _csv(cut), spec=spec)
    assert not check.ok
    assert check.missing_columns == ["annual_inc"]
