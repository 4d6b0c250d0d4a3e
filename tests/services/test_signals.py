"""The signals service on a real Anvil: scan, assess, cache with the block; degrade to unknown."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from fedlend.chain.history import ScanConfig
from fedlend.errors import DataError
from fedlend.services import signals as service
from fedlend.web.db import Database
from tests.chain.local_history import LocalHistory, build_history


@pytest.fixture(scope="module")
def local(w3: Web3, dev_accounts: list[LocalAccount]) -> LocalHistory:
    return build_history(w3, dev_accounts[7], dev_accounts[8])


@pytest.fixture
def config(local: LocalHistory) -> service.SignalsConfig:
    return service.SignalsConfig(scan=ScanConfig(from_block=local.first_block))


def test_scan_assess_and_cache(
    w3: Web3, local: LocalHistory, config: service.SignalsConfig, tmp_path: Path
) -> None:
    db = Database(tmp_path / "app.sqlite3")
    report = service.from_chain(config, w3, local.account.address, db=db)
    assert report.assessment.level in ("green", "yellow", "red")
    assert report.assessment.total == 7  # 5 transactions + 2 token transfers
    assert report.block == w3.eth.block_number
    assert report.chain_id == w3.eth.chain_id
    assert report.assessment.profile != "unknown"
    assert not report.cached
    again = service.from_chain(config, w3, local.account.address.lower(), db=db)
    assert again.cached
    assert again.block == report.block
    assert again.assessment == report.assessment
    fresh = service.from_chain(config, w3, local.account.address, db=db, refresh=True)
    assert not fresh.cached


def test_blacklisted_counterparty_is_reported(
    w3: Web3, local: LocalHistory, config: service.SignalsConfig, tmp_path: Path
) -> None:
    listed = tmp_path / "sanctions.txt"
    listed.write_text(f"# a user's list\n{local.account.address}\n")
    extra = service.SignalsConfig(scan=config.scan, blacklist_file=listed)
    friend = Web3.to_checksum_address(next(t.receiver for t in _history_sends(w3, local, config)))
    report = service.from_chain(extra, w3, friend, db=None)
    assert local.account.address.lower() in report.assessment.blacklisted
    assert report.assessment.level in ("yellow", "red")


def _history_sends(w3: Web3, local: LocalHistory, config: service.SignalsConfig) -> list:
    from fedlend.chain.history import scan

    history = scan(w3, local.account.address, config.scan)
    return [t for t in history.transactions if t.sender == history.address and t.value_eth > 0]


def test_no_history_is_unknown(w3: Web3, config: service.SignalsConfig) -> None:
    report = service.from_chain(config, w3, Account.create().address)
    assert report.assessment.level == "unknown"
    assert "no transactions" in report.assessment.reasons[0]


def test_unreachable_chain_is_unknown_with_the_reason(config: service.SignalsConfig) -> None:
    dead = Web3(Web3.HTTPProvider("http://127.0.0.1:9", request_kwargs={"timeout": 2}))
    report = service.from_chain(config, dead, Account.create().address)
    assert report.assessment.level == "unknown"
    assert "cannot be scanned" in report.assessment.reasons[0]


def test_bad_address_is_a_clear_error(w3: Web3, config: service.SignalsConfig) -> None:
    with pytest.raises(DataError, match="not an Ethereum address"):
        service.from_chain(config, w3, "0xnope")
