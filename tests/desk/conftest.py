"""Fixtures for desk tests: real loans, a trained logistic regression and MLP, applications."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from desk.applications import prepare
from desk.scoring import ScoringModel
from fedlend.settings import SHIPPED_LOANS
from fl.data import load_loans
from fl.features import SpecOptions, build_spec, encode
from fl.models import Weights, init_weights
from fl.spec import ModelSpec
from fl.train import TrainConfig, train_update
from fl.weights import save_model, weights_digest, weights_to_bytes


@pytest.fixture(scope="session")
def loans() -> pd.DataFrame:
    """All shipped policy loans, as strings."""
    return load_loans(SHIPPED_LOANS)


@pytest.fixture(scope="session")
def validation(loans: pd.DataFrame) -> pd.DataFrame:
    """The lender's validation loans (2,000, pre-2011-05)."""
    return loans[loans["issue_d"] < "2011-05"].sample(2000, random_state=7)


@pytest.fixture(scope="session")
def applications(loans: pd.DataFrame) -> pd.DataFrame:
    """500 later loans with their outcome column dropped: unlabelled applications."""
    later = loans[loans["issue_d"] >= "2011-05"].sample(500, random_state=9)
    return later.drop(columns=["default"]).reset_index(drop=True)


def _trained(validation: pd.DataFrame, loans: pd.DataFrame, kind: str) -> tuple[ModelSpec, Weights]:
    spec = build_spec(validation, SpecOptions(model=kind))
    rest = loans.drop(validation.index)
    train = rest[rest["issue_d"] < "2011-05"].sample(4000, random_state=8)
    return spec, train_update(spec, init_weights(spec), train, TrainConfig(None, seed=0)).weights


@pytest.fixture(scope="session")
def logreg(validation: pd.DataFrame, loans: pd.DataFrame) -> tuple[ModelSpec, Weights]:
    """A non-private logistic regression trained on 4,000 real loans."""
    return _trained(validation, loans, "logreg")


@pytest.fixture(scope="session")
def mlp(validation: pd.DataFrame, loans: pd.DataFrame) -> tuple[ModelSpec, Weights]:
    """A non-private MLP trained on the same loans."""
    return _trained(validation, loans, "mlp")


def scorer(model: tuple[ModelSpec, Weights], validation: pd.DataFrame) -> ScoringModel:
    """A ScoringModel explained against the validation set."""
    spec, weights = model
    blob = weights_to_bytes(weights, spec=spec)
    return ScoringModel(
        spec,
        weights,
        background=encode(spec, validation).X,
        name="test model",
        weights_digest=weights_digest(blob).hex(),
    )


@pytest.fixture(scope="session")
def logreg_scorer(logreg: tuple[ModelSpec, Weights], validation: pd.DataFrame) -> ScoringModel:
    """The logistic regression, ready to score."""
    return scorer(logreg, validation)


@pytest.fixture(scope="session")
def mlp_scorer(mlp: tuple[ModelSpec, Weights], validation: pd.DataFrame) -> ScoringModel:
    """The MLP, ready to score."""
    return scorer(mlp, validation)


@pytest.fixture(scope="session")
def model_dir(logreg: tuple[ModelSpec, Weights], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The logistic regression saved as a model folder."""
    return save_model(tmp_path_factory.mktemp("model"), *logreg)


def encoded_applications(spec: ModelSpec, frame: pd.DataFrame) -> np.ndarray:
    """Encoded scorable rows of some applications."""
    prepared = prepare(spec, frame)
    assert prepared.encoded is not None
    return prepared.encoded.X
