"""Features from a History follow the shipped data's definitions."""

from __future__ import annotations

import pytest

from fedlend.errors import DataError
from signals.features import CONTRACT_FEATURES, compute_features
from signals.history import History, TokenTransfer, Transaction

ME = "0x" + "a" * 40
BOB = "0x" + "b" * 40
CAROL = "0x" + "c" * 40
SHOP = "0x" + "d" * 40
TOKEN = "0x" + "e" * 40


def _tx(
    n: int,
    sender: str,
    receiver: str,
    value: float,
    *,
    created: str = "",
    receiver_is_contract: bool | None = None,
) -> Transaction:
    return Transaction(
        f"0x{n:064x}",
        n,
        1_000_000 + 600 * n,
        sender,
        receiver,
        value,
        created,
        receiver_is_contract,
    )


@pytest.fixture
def history() -> History:
    return History(
        address=ME,
        transactions=(
            _tx(1, BOB, ME, 5.0, receiver_is_contract=False),
            _tx(2, CAROL, ME, 1.0, receiver_is_contract=False),
            _tx(3, ME, BOB, 2.0, receiver_is_contract=False),
            _tx(4, ME, SHOP, 0.5, receiver_is_contract=True),
            _tx(5, ME, "", 0.0, created="0x" + "f" * 40, receiver_is_contract=False),
        ),
        transfers=(
            TokenTransfer("0x" + "1" * 64, 6, 1_004_000, TOKEN, BOB, ME, 100.0, "TOK", False),
            TokenTransfer("0x" + "2" * 64, 7, 1_005_000, TOKEN, ME, CAROL, 40.0, "TOK", False),
        ),
    )


def test_counts_values_and_times(history: History) -> None:
    f = compute_features(history).as_dict()
    assert f["Sent tnx"] == 2
    assert f["Received Tnx"] == 2
    assert f["Number of Created Contracts"] == 1
    assert f["total transactions (including tnx to create contract"] == 5
    assert f["Unique Received From Addresses"] == 2
    assert f["Unique Sent To Addresses"] == 2
    assert f["total ether received"] == 6.0
    assert f["total Ether sent"] == 2.0
    assert f["total ether sent contracts"] == 0.5
    assert f["total ether balance"] == pytest.approx(3.5)
    assert (f["min value received"], f["max value received"], f["avg val received"]) == (1, 5, 3)
    assert f["Avg min between received tnx"] == 10.0  # blocks 1, 2: 600 s apart
    assert f["Time Diff between first and last (Mins)"] == 40.0
    assert f["Total ERC20 tnxs"] == 2
    assert f["ERC20 total Ether received"] == 100
    assert f["ERC20 total ether sent"] == 40
    assert f["ERC20 uniq rec token name"] == 1
    assert f["ERC20 uniq rec contract addr"] == 1


def test_unknown_recipients_mark_contract_features(history: History) -> None:
    assert compute_features(history).unavailable == ()
    blind = History(ME, (_tx(1, ME, BOB, 1.0),))
    assert compute_features(blind).unavailable == CONTRACT_FEATURES


def test_empty_history_is_all_zero() -> None:
    vector = compute_features(History(ME))
    assert set(vector.values) == {0.0}


@pytest.mark.parametrize("address", ["0x" + "A" * 40, "0x123", "nonsense"])
def test_history_needs_a_lower_case_address(address: str) -> None:
    with pytest.raises(DataError):
        History(address)
