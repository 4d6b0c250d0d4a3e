"""Issue 11: a lost or damaged privacy ledger refuses training and is rebuilt from submissions."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest

from fedlend.cli import main
from fedlend.errors import LedgerDamagedError, LedgerError, LedgerMissingError
from fedlend.services.ledger_rebuild import health, rebuild_owner_ledger
from fedlend.services.lender import PostedModel
from fedlend.services.owner import OwnerService
from fl.train import TrainConfig
from tests.market import Market


def _two_submissions(
    market: Market, posted: Callable[..., PostedModel], loan_csvs: dict[str, bytes], dev: int
) -> tuple[OwnerService, str]:
    model = posted()
    owner = market.owner(dev)
    sha = owner.add_dataset(loan_csvs["owner1"], name="loans").sha256
    for seed in (1, 2):
        owner.contribute(model.model_id, sha, TrainConfig(1.0, epochs=2, seed=seed))
    return owner, sha


def test_a_deleted_ledger_refuses_training_until_rebuilt_at_no_less(
    market: Market, posted: Callable[..., PostedModel], loan_csvs: dict[str, bytes]
) -> None:
    owner, sha = _two_submissions(market, posted, loan_csvs, dev=6)
    before = owner.privacy(sha)[0]
    owner.ledger.path.unlink()
    for restarted in (owner, market.owner(6)):  # the running app, and after a restart
        with pytest.raises(LedgerMissingError, match="fedlend ledger rebuild"):
            restarted.privacy(sha)
        model_id = owner.submissions()[0].record.model_id
        with pytest.raises(LedgerMissingError):
            restarted.contribute(model_id, sha, TrainConfig(1.0, epochs=2, seed=3))
    assert len(owner.submissions()) == 2  # refused before training: nothing submitted
    assert health(owner) == "missing"
    report = rebuild_owner_ledger(owner)
    assert (report.booked, report.datasets) == (2, 1)
    after = market.owner(6).privacy(sha)[0]
    assert after.charges == 2
    assert after.epsilon >= before.epsilon - 1e-9
    assert after.epsilon == pytest.approx(sum(s.epsilon or 0.0 for s in owner.submissions()))


def test_a_damaged_ledger_is_kept_aside_and_the_cli_rebuilds_it(
    market: Market,
    posted: Callable[..., PostedModel],
    loan_csvs: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    owner, sha = _two_submissions(market, posted, loan_csvs, dev=7)
    owner.ledger.path.write_bytes(b"corrupted by a disk fault " * 40)
    with pytest.raises(LedgerDamagedError, match="damaged"):
        owner.privacy(sha)
    settings = market.settings(7)
    assert settings.contract_address is not None
    for var, value in (
        ("FEDLEND_HOME", str(settings.home)),
        ("FEDLEND_RPC_URL", settings.rpc_url),
        ("FEDLEND_CONTRACT", settings.contract_address),
        ("FEDLEND_DEV_ACCOUNT", "7"),
    ):
        monkeypatch.setenv(var, value)
    assert main(["ledger", "check"]) == 1
    assert main(["ledger", "rebuild"]) == 0
    out = capsys.readouterr().out
    assert "rebuilt" in out
    assert "kept at" in out
    assert sha[:12] in out
    assert main(["ledger", "check"]) == 0
    assert owner.privacy(sha)[0].charges == 2


def test_submissions_without_records_need_an_assumed_epsilon(
    market: Market, posted: Callable[..., PostedModel], loan_csvs: dict[str, bytes]
) -> None:
    owner, sha = _two_submissions(market, posted, loan_csvs, dev=8)
    owner.ledger.path.unlink()
    with sqlite3.connect(owner.state / "owner.sqlite") as db:
        db.execute("DELETE FROM submissions")  # the records of both submissions are lost too
    restarted = market.owner(8)
    with pytest.raises(LedgerMissingError):
        restarted.privacy(sha)
    with pytest.raises(LedgerError, match="--assume-epsilon"):
        rebuild_owner_ledger(restarted)  # the chain shows two submissions of unknown spend
    rebuild_owner_ledger(restarted, assume_epsilon=1.0)
    assert restarted.privacy(sha)[0].epsilon == pytest.approx(2.0)
