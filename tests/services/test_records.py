"""A role's records as typed rows: what goes in comes out, and a damaged row in the file is refused
with its reason while the other rows still read."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from fedlend.errors import DamagedRecordError
from fedlend.services.record_rows import DatasetRow, EvaluationRow, NonceRow, SubmissionRow
from fedlend.services.records import LENDER, OWNER, Records
from fedlend.storage import sqlite
from fedlend.types import Wei


def _evaluation(update_id: int, nonce: str | None) -> EvaluationRow:
    return EvaluationRow(
        update_id=update_id,
        model_id=7,
        submitter="0x" + "1" * 40,
        status="accepted",
        score=7000,
        reward_wei=Wei(3 * 10**18),
        reason="improved the model",
        tx_hash="0x" + "2" * 64,
        gas_used=1,
        at=float(update_id),
        metrics={"auc": 0.7},
        nonce=nonce,
    )


def _damage(records: Records, sql: str, *args: object) -> None:
    db = sqlite.connect(records.path)
    db.execute(sql, args)
    db.close()


def test_rows_come_back_typed_filtered_and_ordered(tmp_path: Path) -> None:
    records = Records(tmp_path / "owner.sqlite", OWNER)
    later, earlier = DatasetRow("b", "y", "p2", 2, 9.0), DatasetRow("a", "x", "p1", 1, 1.0)
    records.upsert_many([later, earlier])
    assert records.rows(DatasetRow, order="at") == [earlier, later]
    assert records.one(DatasetRow, sha256="b") == later
    assert records.one(DatasetRow, sha256="c") is None
    assert records.rows(SubmissionRow) == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: r.rows(DatasetRow, order="rows; DROP TABLE datasets"), "no column"),
        (lambda r: r.rows(DatasetRow, name_or_1=1), "no column 'name_or_1'"),
        (
            lambda r: r.upsert_many([DatasetRow("a", "x", "p", 1, 0.0), NonceRow(1, 1, None)]),
            "one type",
        ),
    ],
    ids=["order", "filter", "mixed types"],
)
def test_only_a_row_types_own_columns_reach_the_sql(
    tmp_path: Path, call: object, message: str
) -> None:
    records = Records(tmp_path / "owner.sqlite", OWNER)
    with pytest.raises((ValueError, TypeError), match=message):
        call(records)  # type: ignore[operator]


def test_a_damaged_row_is_left_out_of_a_listing_and_refused_when_asked_for(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    records = Records(tmp_path / "lender.sqlite", LENDER)
    records.upsert_many([_evaluation(1, "n1"), _evaluation(2, "n2")])
    _damage(records, "UPDATE evaluations SET reward_wei = 'lots' WHERE update_id = 2")
    with caplog.at_level(logging.WARNING):
        assert records.rows(EvaluationRow, model_id=7) == [_evaluation(1, "n1")]
    assert "its reward_wei is 'lots' (expected a wei amount" in caplog.text
    with pytest.raises(DamagedRecordError, match="evaluations record 2 is damaged"):
        records.one(EvaluationRow, update_id=2)


def test_a_damaged_nonce_row_counts_as_unknown_so_it_is_read_again_from_the_store(
    tmp_path: Path,
) -> None:
    records = Records(tmp_path / "lender.sqlite", LENDER)
    records.upsert_many([NonceRow(1, 7, "n1"), NonceRow(2, 7, "n2")])
    records.upsert(_evaluation(3, "n3"))
    _damage(records, "UPDATE nonces SET nonce = X'00ff' WHERE update_id = 2")
    assert records.nonce_ids(7) == {1, 3}  # replay.seen_nonces re-reads update 2's blob
    assert records.seen_nonces(7, {1, 2, 3}) == {"n1", "n3"}
    records.upsert(NonceRow(2, 7, "n2"))  # what replay.seen_nonces writes back
    assert records.seen_nonces(7, {1, 2, 3}) == {"n1", "n2", "n3"}
