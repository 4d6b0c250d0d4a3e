"""Fixtures for fl tests: real Lending Club loans (a fixed sample of the shipped file), a spec."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from fedlend.settings import SHIPPED_LOANS
from fl.data import load_loans
from fl.features import EncodedData, build_spec, encode
from fl.spec import ModelSpec


@pytest.fixture(scope="session")
def loans() -> pd.DataFrame:
    """All shipped policy loans, as strings (31,102 rows)."""
    return load_loans(SHIPPED_LOANS)


@pytest.fixture(scope="session")
def lender_frame(loans: pd.DataFrame) -> pd.DataFrame:
    """A lender's validation loans: 2,000 random pre-2011-05 loans."""
    return loans[loans["issue_d"] < "2011-05"].sample(2000, random_state=7)


@pytest.fixture(scope="session")
def spec(lender_frame: pd.DataFrame) -> ModelSpec:
    """A logistic-regression spec deduced from the lender's loans."""
    return build_spec(lender_frame)


@pytest.fixture(scope="session")
def owner_data(loans: pd.DataFrame, lender_frame: pd.DataFrame, spec: ModelSpec) -> EncodedData:
    """One owner's ~3,000 loans, encoded."""
    rest = loans.drop(lender_frame.index)
    return encode(spec, rest[rest["issue_d"] < "2011-05"].sample(3000, random_state=8))


@pytest.fixture(scope="session")
def test_data(loans: pd.DataFrame, spec: ModelSpec) -> EncodedData:
    """Out-of-time test loans (issued 2011-05 on), encoded."""
    return encode(spec, loans[loans["issue_d"] >= "2011-05"])


@pytest.fixture(scope="session")
def small_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A gzip CSV of real loans: every 5th shipped row, plus every loan issued from 2011-07."""
    raw = pd.read_csv(SHIPPED_LOANS, dtype=str, keep_default_na=False)
    sample = pd.concat([raw.iloc[::5], raw[raw["issue_d"] >= "2011-07"]]).drop_duplicates("id")
    path = tmp_path_factory.mktemp("loans") / "sample.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:
        sample.to_csv(handle, index=False)
    return path


@pytest.fixture(scope="session")
def validation(lender_frame: pd.DataFrame, spec: ModelSpec) -> EncodedData:
    """The lender's own 2,000 validation loans, encoded by its spec."""
    return encode(spec, lender_frame)
