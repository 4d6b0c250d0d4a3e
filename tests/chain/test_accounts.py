"""Loading the signing account: private key, keystore file, or Anvil dev account (local only)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account
from eth_typing import HexStr

from fedlend.chain.accounts import dev_account, dev_accounts, load_account
from fedlend.errors import ConfigError
from fedlend.settings import Settings

# Anvil's first two dev accounts, as printed by `anvil` itself.
ANVIL_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
ANVIL_1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
KEY = HexStr("0x" + "4c" * 32)


def test_dev_accounts_match_anvil() -> None:
    accounts = dev_accounts(10)
    assert [a.address for a in accounts[:2]] == [ANVIL_0, ANVIL_1]
    assert len({a.address for a in accounts}) == 10
    assert dev_account(1) is accounts[1]


def test_private_key_wins_over_other_sources(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, private_key=KEY, dev_account=0)
    assert load_account(settings, chain_id=1).address == Account.from_key(KEY).address


@pytest.mark.parametrize("chain_id", [1, 11155111, None])
def test_dev_account_refused_off_the_local_chain(tmp_path: Path, chain_id: int | None) -> None:
    with pytest.raises(ConfigError, match="only works on the local chain"):
        load_account(Settings(home=tmp_path, dev_account=0), chain_id=chain_id)


def test_dev_account_on_the_local_chain(tmp_path: Path) -> None:
    assert load_account(Settings(home=tmp_path, dev_account=1), chain_id=31337).address == ANVIL_1


def test_keystore_round_trip_and_wrong_password(tmp_path: Path) -> None:
    path = tmp_path / "keystore.json"
    path.write_text(json.dumps(Account.encrypt(KEY, "correct horse", iterations=2)))
    good = Settings(home=tmp_path, keystore_path=path, keystore_password="correct horse")
    assert load_account(good, chain_id=5).address == Account.from_key(KEY).address
    with pytest.raises(ConfigError, match="wrong FEDLEND_KEYSTORE_PASSWORD"):
        load_account(good.with_(keystore_password="battery staple"), chain_id=5)
    with pytest.raises(ConfigError, match="needs FEDLEND_KEYSTORE_PASSWORD"):
        load_account(good.with_(keystore_password=None), chain_id=5)
    with pytest.raises(ConfigError, match="cannot read keystore"):
        load_account(good.with_(keystore_path=tmp_path / "missing.json"), chain_id=5)


@pytest.mark.parametrize("bad_key", ["0x1234", "not-hex-" + "ab" * 28, "0x" + "00" * 32])
def test_bad_private_key_message_never_echoes_it(tmp_path: Path, bad_key: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_account(Settings(home=tmp_path, private_key=bad_key), chain_id=31337)
    assert bad_key not in str(info.value)
    assert "FEDLEND_PRIVATE_KEY" in str(info.value)


def test_no_account_configured_says_how(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"FEDLEND_PRIVATE_KEY.*FEDLEND_KEYSTORE.*FEDLEND_DEV_ACCOUNT"
    ):
        load_account(Settings(home=tmp_path), chain_id=31337)
