"""The privacy ledger: per owner and dataset, persisted, composes honestly, refuses up front."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from fedlend.errors import LedgerDamagedError, LedgerMissingError, PrivacyBudgetError
from fl.dp import Mechanism, calibrate_noise, rdp_epsilon
from fl.features import EncodedData
from fl.models import init_weights
from fl.privacy import Charge, Composed, PrivacyLedger, Spend, compose
from fl.spec import ModelSpec
from fl.train import TrainConfig, TrainHooks, train_update

OWNER, DATASET = "0xOwner", "ab" * 32


def test_basic_composition_sums_and_persists(tmp_path: Path) -> None:
    ledger = PrivacyLedger(tmp_path / "ledger.sqlite", default_epsilon=5.0, default_delta=1e-4)
    ledger.charge(OWNER, DATASET, Spend(1.5, 1e-5, note="model 1"))
    ledger.charge(OWNER, DATASET, Spend(2.0, 2e-5, note="model 2"))
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
    ledger.charge(OWNER, DATASET, Spend(2.5, 1e-5))
    with pytest.raises(
        PrivacyBudgetError,
        match=r"needs epsilon 1 .*spent epsilon 2.5.*budget "
        r"epsilon 3 .*become 3.5",
    ):
        ledger.charge(OWNER, DATASET, Spend(1.0, 1e-5))
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
    eps2 = TrainConfig(2.0, epochs=2, seed=0)
    first = train_update(spec, w0, owner_data, eps2, hooks=TrainHooks(account=account))
    assert ledger.spent(OWNER, DATASET).epsilon == pytest.approx(first.epsilon)
    progress: list[float] = []
    with pytest.raises(PrivacyBudgetError, match="Ask for a smaller epsilon"):
        train_update(
            spec,
            w0,
            owner_data,
            eps2,
            hooks=TrainHooks(account=account, progress=lambda f, _m: progress.append(f)),
        )
    assert progress == []  # refused before a single step (two eps-2 runs compose to 2.7)
    assert len(ledger.history(OWNER, DATASET)) == 1
    with pytest.raises(PrivacyBudgetError, match="without DP"):
        train_update(spec, w0, owner_data, TrainConfig(None), hooks=TrainHooks(account=account))


def _mechanism_charges(ledger: PrivacyLedger, n: int, dataset: str = DATASET) -> None:
    run = Mechanism(2.0, 1 / 3, 30)
    one = rdp_epsilon([run], 1e-6)
    for i in range(n):
        ledger.charge(OWNER, dataset, Spend(one, 1e-6, mechanism=run, note=f"run {i}"))


def test_a_charge_adds_one_curve_and_never_recomposes_the_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = PrivacyLedger(tmp_path / "l.sqlite", default_epsilon=1e6, default_delta=0.5)
    _mechanism_charges(ledger, 40)
    ledger.charge(OWNER, DATASET, Spend(0.1, 1e-6, note="no mechanism"))
    _mechanism_charges(ledger, 3)
    added: list[Charge] = []
    original = Composed.add

    def counted_add(self: Composed, charge: Charge) -> Composed:
        added.append(charge)
        return original(self, charge)

    monkeypatch.setattr(Composed, "add", counted_add)
    ledger.check(OWNER, DATASET, epsilon=0.2, delta=1e-6, mechanism=Mechanism(2.0, 1 / 3, 30))
    ledger.charge(OWNER, DATASET, Spend(0.3, 1e-6, note="last"))
    assert len(added) == 2  # one per call, whatever the history holds
    monkeypatch.undo()
    history = ledger.history(OWNER, DATASET)
    assert len(history) == 45
    assert ledger.spent(OWNER, DATASET) == compose(history)
    assert ledger.verify(OWNER, DATASET) == compose(history)


def test_rdp_state_equals_recomposing_the_history(tmp_path: Path) -> None:
    ledger = PrivacyLedger(tmp_path / "l.sqlite", default_epsilon=1e6, default_delta=0.5)
    _mechanism_charges(ledger, 5)
    spent = ledger.spent(OWNER, DATASET)
    assert spent == compose(ledger.history(OWNER, DATASET))
    one = rdp_epsilon([Mechanism(2.0, 1 / 3, 30)], 1e-6)
    assert spent.method == "rdp"
    assert spent.epsilon < 5 * one


def test_a_keyed_charge_is_booked_once(tmp_path: Path) -> None:
    ledger = PrivacyLedger(tmp_path / "l.sqlite")
    first = ledger.charge(OWNER, DATASET, Spend(1.0, 1e-5), key="job-7")
    again = ledger.charge(OWNER, DATASET, Spend(1.0, 1e-5), key="job-7")
    assert first == again
    assert len(ledger.history(OWNER, DATASET)) == 1
    with pytest.raises(PrivacyBudgetError, match="already booked"):
        ledger.charge(OWNER, DATASET, Spend(2.0, 1e-5), key="job-7")
    ledger.charge(OWNER, DATASET, Spend(1.0, 1e-5), key="job-8")
    assert ledger.spent(OWNER, DATASET).epsilon == pytest.approx(2.0)


def test_a_retried_training_charge_with_a_job_key_counts_once(
    tmp_path: Path, spec: ModelSpec, owner_data: EncodedData
) -> None:
    ledger = PrivacyLedger(tmp_path / "l.sqlite")
    account = ledger.account(OWNER, DATASET, note="model 1", key="job-1")
    result = train_update(spec, init_weights(spec), owner_data, TrainConfig(1.0, epochs=2, seed=0))
    account.charge(result)
    account.charge(result)  # the job restarted after a crash and booked again
    assert ledger.spent(OWNER, DATASET).epsilon == pytest.approx(result.epsilon)


def test_a_deleted_ledger_refuses_instead_of_restarting_at_zero(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    ledger = PrivacyLedger(path)
    ledger.charge(OWNER, DATASET, Spend(6.2, 1e-5))
    for p in tmp_path.glob("l.sqlite*"):
        p.unlink()
    for use in (
        lambda: ledger.spent(OWNER, DATASET),
        lambda: ledger.check(OWNER, DATASET, epsilon=1.0, delta=1e-5),
        lambda: ledger.charge(OWNER, DATASET, Spend(1.0, 1e-5)),
    ):
        with pytest.raises(LedgerMissingError, match="fedlend ledger rebuild"):
            use()
    assert not path.exists()  # never re-created empty
    with pytest.raises(LedgerMissingError):
        PrivacyLedger(path, create=False).spent(OWNER, DATASET)
    assert not path.exists()


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not sqlite " * 100)


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _sql(statement: str) -> Callable[[Path], None]:
    def damage(path: Path) -> None:
        with sqlite3.connect(path) as db:
            db.execute(statement)

    return damage


BAD_TYPE = _sql("UPDATE charges SET epsilon = 'lots'")


@pytest.mark.parametrize(
    "damage",
    [
        _garbage,
        _empty,
        _sql('UPDATE composed SET state = \'{"charges": "x"}\''),
        _sql("UPDATE composed SET state = '" + "[" * 50_000 + "'"),
        _sql("UPDATE composed SET state = replace(state, '\"charges\": 2', '\"charges\": -2')"),
        _sql("DELETE FROM charges WHERE id = (SELECT MAX(id) FROM charges)"),
        _sql("DELETE FROM composed"),
        BAD_TYPE,
        _sql("UPDATE meta SET value = 'someone-else/9' WHERE key = 'format'"),
    ],
    ids=[
        "garbage",
        "empty",
        "bad-count",
        "deep-json",
        "negative",
        "lost-row",
        "lost-total",
        "bad-type",
        "format",
    ],
)
def test_a_damaged_ledger_refuses_with_a_clear_error(
    tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    path = tmp_path / "l.sqlite"
    ledger = PrivacyLedger(path)
    ledger.charge(OWNER, DATASET, Spend(1.0, 1e-5))
    ledger.charge(OWNER, DATASET, Spend(1.0, 1e-5))
    damage(path)
    uses = [lambda: ledger.verify(OWNER, DATASET), lambda: ledger.history(OWNER, DATASET)]
    if damage is not BAD_TYPE:  # a check reads the stored total only; the audit reads the rows
        uses.append(lambda: ledger.check(OWNER, DATASET, epsilon=1.0, delta=1e-5))
    for use in uses:
        with pytest.raises(LedgerDamagedError, match=r"damaged .*fedlend ledger rebuild"):
            use()


def test_a_first_format_ledger_is_migrated_with_its_spend(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    run = Mechanism(2.0, 1 / 3, 30)
    with sqlite3.connect(path) as db:
        db.executescript(V1_SCHEMA)
        for _ in range(3):
            db.execute(
                "INSERT INTO charges (owner, dataset, epsilon, delta, noise_multiplier, "
                "sample_rate, steps, note, at) VALUES (?,?,?,?,?,?,?,?,?)",
                (OWNER, DATASET, 0.5, 1e-5, run.noise_multiplier, run.sample_rate, 30, "", 1.0),
            )
    ledger = PrivacyLedger(path)
    charges = [Charge(0.5, 1e-5, run, "", 1.0)] * 3
    assert ledger.spent(OWNER, DATASET) == compose(charges)
    ledger.charge(OWNER, DATASET, Spend(0.5, 1e-5, mechanism=run), key="k")
    assert ledger.verify(OWNER, DATASET) == compose([*charges, charges[0]])


V1_SCHEMA = """
CREATE TABLE budgets (owner TEXT NOT NULL, dataset TEXT NOT NULL, epsilon REAL NOT NULL,
  delta REAL NOT NULL, PRIMARY KEY (owner, dataset));
CREATE TABLE charges (id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL,
  dataset TEXT NOT NULL, epsilon REAL NOT NULL, delta REAL NOT NULL, noise_multiplier REAL,
  sample_rate REAL, steps INTEGER, note TEXT NOT NULL DEFAULT '', at REAL NOT NULL);
"""


def test_a_refund_takes_back_only_its_keyed_charge_and_recomposes(tmp_path: Path) -> None:
    ledger = PrivacyLedger(tmp_path / "ledger.sqlite")
    ledger.charge(OWNER, DATASET, Spend(1.0, 1e-5), key="job-1")
    ledger.charge(OWNER, DATASET, Spend(0.5, 1e-5), key="job-2")
    assert ledger.refund(OWNER, DATASET, key="job-2")
    assert not ledger.refund(OWNER, DATASET, key="job-2")  # once
    assert ledger.spent(OWNER, DATASET).epsilon == pytest.approx(1.0)
    assert ledger.verify(OWNER, DATASET).epsilon == pytest.approx(1.0)
    assert ledger.refund(OWNER, DATASET, key="job-1")
    assert ledger.spent(OWNER, DATASET).charges == 0
    ledger.charge(OWNER, DATASET, Spend(0.25, 1e-5))  # the ledger still books
    assert ledger.verify(OWNER, DATASET).epsilon == pytest.approx(0.25)
