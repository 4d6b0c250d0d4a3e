"""The privacy ledger: per owner and dataset, persisted, composes honestly, refuses up front."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from fedlend.errors import PrivacyBudgetError
from fl.dp import Mechanism, calibrate_noise, rdp_epsilon
from fl.features import EncodedData
from fl.models import init_weights
from fl.privacy import Charge, PrivacyLedger, compose
from fl.spec import ModelSpec
from fl.train import train_update

OWNER, DATASET = "0xOwner", "ab" * 32


def test_basic_composition_sums_and_persists(tmp_path: Path) -> None:
    ledger = PrivacyLedger(tmp_path / "ledger.sqlite", default_epsilon=5.0, default_delta=1e-4)
    ledger.charge(OWNER, DATASET, epsilon=1.5, delta=1e-5, note="model 1")
    ledger.charge(OWNER, DATASET, epsilon=2.0, delta=2e-5, note="model 2")
    reopened = PrivacyLedger(tmp_path / "ledger.sqlite", default_epsilon=5.0, default_delta=1e-4)
    spent = reopened.spent(OWNER, DATASET)
    assert (spent.epsilon, spent.charges, spent.method) == (3.5, 2, "basic")
    assert spent.delta == pytest.approx(3e-5)
    assert reopened.remaining(OWNER, DATASET).epsilon == pytest.approx(1.5)
    assert [c.note for c in reopened.history(OWNER, DATASET)] == ["model 1", "model 2"]
    assert reopened.spent(OWNER, "another dataset").epsilon == 0.0
    assert reopened.spent("0xSomeoneElse", DATASET).epsilon == 0.0


def test_refusal_gives_the_numbers_and_records_nothing(tmp_path: Path) -> None:
    ledger = PrivacyLedger(tmp_path / "l.sqlite")
    ledger.set_budget(OWNER, DATASET, epsilon=3.0, delta=1e-4)
    ledger.charge(OWNER, DATASET, epsilon=2.5, delta=1e-5)
    with pytest.raises(
        PrivacyBudgetError,
        match=r"needs epsilon 1 .*spent epsilon 2.5.*budget "
        r"epsilon 3 .*become 3.5",
    ):
        ledger.charge(OWNER, DATASET, epsilon=1.0, delta=1e-5)
    with pytest.raises(PrivacyBudgetError):
        ledger.check(OWNER, DATASET, epsilon=0.6, delta=1e-5)
    ledger.check(OWNER, DATASET, epsilon=0.5, delta=1e-5)  # exactly fits
    assert len(ledger.history(OWNER, DATASET)) == 1
    with sqlite3.connect(tmp_path / "l.sqlite") as db:
        assert db.execute("SELECT COUNT(*) FROM charges").fetchone() == (1,)


def test_rdp_composition_is_used_only_when_tighter() -> None:
    sigma = calibrate_noise(3, 30, 3.0, 1e-5)  # 3 runs of 10 epochs compose to eps 3
    run = Mechanism(sigma, 1 / 3, 30)
    one = rdp_epsilon([run], 1e-5)
    charges = [Charge(one, 1e-5, run, "", 0.0) for _ in range(3)]
    spent = compose(charges)
    assert spent.method == "rdp"
    assert spent.epsilon == pytest.approx(3.0, abs=0.02)
    assert spent.epsilon < 3 * one
    assert spent.delta == 1e-5
    mixed = compose([*charges, Charge(0.1, 1e-5, None, "", 0.0)])
    assert mixed.method == "basic"
    assert mixed.epsilon == pytest.approx(3 * one + 0.1)
    assert mixed.delta == pytest.approx(4e-5)


def test_training_is_refused_before_it_runs_and_charged_after(
    tmp_path: Path, spec: ModelSpec, owner_data: EncodedData
) -> None:
    ledger = PrivacyLedger(tmp_path / "l.sqlite", default_epsilon=2.5, default_delta=1e-4)
    account = ledger.account(OWNER, DATASET, note="model 7")
    w0 = init_weights(spec)
    first = train_update(spec, w0, owner_data, epsilon=2.0, epochs=2, seed=0, account=account)
    assert ledger.spent(OWNER, DATASET).epsilon == pytest.approx(first.epsilon)
    progress: list[float] = []
    with pytest.raises(PrivacyBudgetError, match="Ask for a smaller epsilon"):
        train_update(
            spec,
            w0,
            owner_data,
            epsilon=2.0,
            epochs=2,
            seed=0,
            account=account,
            progress=lambda f, _m: progress.append(f),
        )
    assert progress == []  # refused before a single step (two eps-2 runs compose to 2.7)
    assert len(ledger.history(OWNER, DATASET)) == 1
    with pytest.raises(PrivacyBudgetError, match="without DP"):
        train_update(spec, w0, owner_data, epsilon=None, account=account)
