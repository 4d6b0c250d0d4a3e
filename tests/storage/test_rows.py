"""The row codec: typed rows to SQLite values and back; a damaged value refused with its reason."""

from __future__ import annotations

import dataclasses

import pytest

from fedlend.errors import DamagedRecordError, FedlendError
from fedlend.services.record_rows import (
    DatasetRow,
    EvaluationRow,
    NonceRow,
    RoundRow,
    SubmissionRow,
)
from fedlend.storage.rows import Row, decode, encode
from fedlend.types import Wei

EVALUATION = EvaluationRow(
    update_id=3,
    model_id=1,
    submitter="0x" + "1" * 40,
    status="accepted",
    score=7100,
    reward_wei=Wei(2**200),  # far past SQLite's 64-bit integers
    reason="improved the model",
    tx_hash="0x" + "2" * 64,
    gas_used=90_000,
    at=1.5,
    epsilon=2.0,
    delta=1e-5,
    n_examples=400,
    metrics={"auc": 0.71, "brier": 0.2},
    contribution=-0.01,
    nonce="ab" * 16,
    share_bps=2500,
    std_error=0.001,
)
EXAMPLES: list[Row] = [
    EVALUATION,
    dataclasses.replace(EVALUATION, epsilon=None, delta=None, n_examples=None, nonce=None),
    RoundRow("0x" + "3" * 64, 1, 7100, 7000, 7000, Wei(10**18), 3, 2, "exact", 6, "0x00", 1, 2.0),
    NonceRow(4, 1, None),
    SubmissionRow(5, 1, "ff" * 32, "ee" * 32, 1.0, 1e-5, 300, None, 0.7, "0x4", 80_000, 3.0),
    DatasetRow("ff" * 32, "loans.csv", "/data/ff.csv", 300, 4.0),
]


@pytest.mark.parametrize("row", EXAMPLES, ids=lambda r: type(r).__name__)
def test_a_row_comes_back_as_it_went_in(row: Row) -> None:
    stored = encode(row)
    assert all(v is None or isinstance(v, int | float | str) for v in stored.values())
    assert decode(type(row), stored) == row


def test_wei_is_kept_as_decimal_text_and_metrics_as_json() -> None:
    stored = encode(EVALUATION)
    assert stored["reward_wei"] == str(2**200)
    assert stored["metrics"] == '{"auc": 0.71, "brier": 0.2}'


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("score", "7100", "expected an integer"),
        ("gas_used", 1.5, "expected an integer"),
        ("reward_wei", 5, "expected a wei amount"),
        ("reward_wei", "-5", "expected a wei amount"),
        ("reward_wei", "9" * 100, "expected a wei amount"),
        ("submitter", b"\x00", "expected text"),
        ("at", "yesterday", "expected a finite number"),
        ("contribution", float("inf"), "expected a finite number"),
        ("epsilon", "lots", "expected a finite number"),
        ("metrics", "[0.7]", "expected a JSON object"),
        ("metrics", '{"auc": "high"}', "expected a JSON object of numbers"),
        ("metrics", "{", "not valid JSON"),
        ("metrics", "[" * 10_000, "nests"),
        ("metrics", '{"a": ' + "1" * 70_000 + "}", "over the"),
        ("status", None, "None"),
    ],
)
def test_a_damaged_value_is_refused_naming_the_table_column_and_reason(
    column: str, value: object, reason: str
) -> None:
    stored = {**encode(EVALUATION), column: value}
    with pytest.raises(DamagedRecordError, match=reason) as caught:
        decode(EvaluationRow, stored)
    message = str(caught.value)
    assert f"evaluations record 3 is damaged: its {column} is" in message
    assert "move the file aside" in message  # what to do next
    assert isinstance(caught.value, FedlendError)


def test_a_missing_column_is_refused() -> None:
    stored = encode(DatasetRow("ff", "a", "p", 1, 0.0))
    del stored["rows"]
    with pytest.raises(DamagedRecordError, match="its rows is missing"):
        decode(DatasetRow, stored)
