"""Fixtures for signals tests: the shipped addresses and one small model trained on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from signals import model
from signals.assess import Context, context_for
from signals.classifier import TrainConfig
from signals.dataset import AddressData, load_addresses
from signals.model import ServedModel
from signals.profile import ProfileConfig
from signals.train import SignalsConfig, train

QUICK = SignalsConfig(
    train=TrainConfig(cv_folds=3, forest_trees=20, boosting_trees=30, max_rows=1500),
    profiles=ProfileConfig(k_range=(2, 3, 4), sample=600),
    compare_classifiers=False,
)


@pytest.fixture(scope="session")
def address_data() -> AddressData:
    """The 7,874 shipped labelled addresses."""
    return load_addresses()


@pytest.fixture(scope="session")
def quick_model(address_data: AddressData) -> ServedModel:
    """A small served model (30 trees, 1,500 rows), trained once per session."""
    return train(address_data, QUICK, progress=lambda _m: None)


@pytest.fixture(scope="session")
def quick_dir(quick_model: ServedModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small model saved to a directory."""
    path = tmp_path_factory.mktemp("signals-model")
    model.save(quick_model, path)
    return path


@pytest.fixture(scope="session")
def context(quick_model: ServedModel, address_data: AddressData) -> Context:
    """The small model with the shipped blacklist."""
    return context_for(quick_model, address_data)
