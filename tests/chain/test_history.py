"""Scanning a real Anvil history: transactions, ERC-20 logs, bounds, hostile input."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from fedlend.chain.history import ScanConfig, parse_address, scan
from fedlend.errors import DataError
from signals.features import compute_features
from tests.chain.local_history import LocalHistory, build_history


@pytest.fixture(scope="module")
def local(w3: Web3, dev_accounts: list[LocalAccount]) -> LocalHistory:
    return build_history(w3, dev_accounts[7], dev_accounts[8])


def test_scan_finds_every_transaction_and_transfer(w3: Web3, local: LocalHistory) -> None:
    seen: list[tuple[int, int]] = []
    history = scan(
        w3,
        local.account.address,
        ScanConfig(from_block=local.first_block),
        progress=lambda done, total: seen.append((done, total)),
    )
    assert history.chain_id == w3.eth.chain_id
    assert history.block == w3.eth.block_number
    assert sorted(t.value_eth for t in history.transactions if t.receiver == history.address) == [
        0.5,
        3.0,
    ]
    assert len(history.transactions) == 5  # 2 in, 2 ETH out, 1 token call
    assert {t.amount for t in history.transfers} == {1500.0, 250.0}  # decimals() applied
    assert seen
    assert seen[-1][0] == seen[-1][1]
    f = compute_features(history).as_dict()
    assert f["Received Tnx"] == 2
    assert f["Sent tnx"] == 3
    assert f["total ether received"] == 3.5
    assert f["total Ether sent"] == 1.25
    assert f["total ether sent contracts"] == 0.0
    assert f["min value sent to contract"] == 0.0
    assert f["Unique Sent To Addresses"] == 3
    assert f["Total ERC20 tnxs"] == 2
    assert f["ERC20 total Ether received"] == 1500.0
    assert f["ERC20 uniq rec contract addr"] == 1
    assert compute_features(history).unavailable == ()


def test_block_bounds_are_respected(w3: Web3, local: LocalHistory) -> None:
    history = scan(
        w3,
        local.account.address,
        ScanConfig(from_block=local.first_block, to_block=local.first_block + 1),
    )
    assert len(history.transactions) == 2
    assert history.transfers == ()
    assert history.block == local.first_block + 1


def test_time_budget_stops_the_scan_and_says_so(w3: Web3, local: LocalHistory) -> None:
    history = scan(w3, local.account.address, ScanConfig(from_block=0, time_budget_s=0.0))
    assert any("time limit" in n for n in history.notes)


def test_unknown_address_has_no_history(w3: Web3, local: LocalHistory) -> None:
    history = scan(w3, Account.create().address, ScanConfig(from_block=local.first_block))
    assert history.size == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0x123", "not an Ethereum address"),
        ("hello", "not an Ethereum address"),
        ("0x" + "g" * 40, "not an Ethereum address"),
        ("0x" + "1" * 64, "not an Ethereum address"),
        ("0xAbCdEf0123456789aBcDeF0123456789AbCdEf01", "checksum"),
    ],
)
def test_bad_addresses_are_refused(text: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        parse_address(text)


def test_good_addresses_in_any_case() -> None:
    good = Account.create().address
    assert parse_address(good.lower()) == good == parse_address(good)
    assert parse_address("  " + good + " ") == good
