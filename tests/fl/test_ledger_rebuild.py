"""Rebuilding a missing or damaged privacy ledger from proven charges: once each, never lower."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedlend.errors import LedgerDamagedError, PrivacyBudgetError
from fl.dp import Mechanism
from fl.ledger_rebuild import ProvenCharge, ledger_health, rebuild
from fl.privacy import PrivacyLedger, Spend

OWNER, DATA_A, DATA_B = "0xOwner", "aa" * 32, "bb" * 32
RUN = Mechanism(2.0, 1 / 3, 30)


def _proofs() -> list[ProvenCharge]:
    return [
        ProvenCharge(OWNER, DATA_A, 1.5, 1e-5, "submission:1", RUN, "model 1"),
        ProvenCharge(OWNER, DATA_A, 2.0, 1e-5, "submission:2", None, "model 2"),
        ProvenCharge(OWNER, DATA_B, 9.0, 1e-5, "submission:3", None, "model 2"),
        ProvenCharge(OWNER, DATA_A, 1.5, 1e-5, "submission:1", RUN, "model 1"),  # twice
    ]


def test_a_missing_ledger_is_rebuilt_with_each_submission_once(tmp_path: Path) -> None:
    path = tmp_path / "privacy.sqlite"
    report = rebuild(path, _proofs())
    assert (report.booked, report.duplicates, report.datasets, report.kept_aside) == (3, 1, 2, None)
    ledger = PrivacyLedger(path, create=False, default_epsilon=5.0)
    assert ledger.spent(OWNER, DATA_A).epsilon == pytest.approx(3.5)  # basic: one had no mechanism
    assert ledger.spent(OWNER, DATA_B).epsilon == pytest.approx(9.0)  # over budget, still booked
    assert ledger_health(path) == "healthy"
    with pytest.raises(PrivacyBudgetError, match="would become"):
        ledger.check(OWNER, DATA_B, epsilon=0.1, delta=1e-5)
    assert list(tmp_path.iterdir()) == [path]  # nothing half-built left behind


def test_a_damaged_ledger_is_kept_aside_and_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "privacy.sqlite"
    PrivacyLedger(path).charge(OWNER, DATA_A, Spend(1.0, 1e-5))
    path.write_bytes(b"\x00garbage" * 64)
    with pytest.raises(LedgerDamagedError):
        PrivacyLedger(path).spent(OWNER, DATA_A)
    assert ledger_health(path) == "damaged"
    report = rebuild(path, _proofs()[:2])
    assert report.kept_aside is not None
    assert report.kept_aside.read_bytes().startswith(b"\x00garb")
    assert PrivacyLedger(path).spent(OWNER, DATA_A).epsilon == pytest.approx(3.5)


def test_a_healthy_ledger_is_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "privacy.sqlite"
    PrivacyLedger(path).charge(OWNER, DATA_A, Spend(4.0, 1e-5))
    with pytest.raises(PrivacyBudgetError, match="healthy"):
        rebuild(path, _proofs()[:1])
    assert PrivacyLedger(path).spent(OWNER, DATA_A).epsilon == pytest.approx(4.0)


@pytest.mark.parametrize(
    "bad",
    [
        ProvenCharge(OWNER, DATA_A, 3.0, 1e-5, "submission:1", RUN),  # same key, other spend
        ProvenCharge(OWNER, DATA_A, float("nan"), 1e-5, "submission:9"),
        ProvenCharge(OWNER, DATA_A, -1.0, 1e-5, "submission:9"),
        ProvenCharge(OWNER, DATA_A, 1.0, 1.5, "submission:9"),
        ProvenCharge(OWNER, "", 1.0, 1e-5, "submission:9"),
        ProvenCharge(OWNER, DATA_A, "1.0", 1e-5, "submission:9"),  # type: ignore[arg-type]
    ],
    ids=["conflict", "nan", "negative", "delta", "no-dataset", "string"],
)
def test_bad_proofs_refuse_the_rebuild_and_touch_nothing(tmp_path: Path, bad: ProvenCharge) -> None:
    path = tmp_path / "privacy.sqlite"
    with pytest.raises(PrivacyBudgetError):
        rebuild(path, [*_proofs(), bad])
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []
