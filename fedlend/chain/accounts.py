"""The signing account from Settings: a private key, a keystore file, or an Anvil dev account."""

from __future__ import annotations

import json
from functools import lru_cache

from eth_account import Account
from eth_account.signers.local import LocalAccount

from fedlend.errors import ConfigError
from fedlend.settings import LOCAL_CHAIN_ID, Settings

# Anvil's (and Hardhat's) well-known test mnemonic: its keys are public, so local chains only.
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
DEV_PATH = "m/44'/60'/0'/0/{index}"
DEV_ACCOUNT_COUNT = 10


@lru_cache(maxsize=64)
def dev_account(index: int) -> LocalAccount:
    """Anvil dev account `index` (derivation m/44'/60'/0'/0/index of the test mnemonic)."""
    if index < 0:
        raise ConfigError(f"dev account index must be >= 0, got {index}")
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(ANVIL_MNEMONIC, account_path=DEV_PATH.format(index=index))


def dev_accounts(count: int = DEV_ACCOUNT_COUNT) -> list[LocalAccount]:
    """The first `count` Anvil dev accounts."""
    return [dev_account(i) for i in range(count)]


def load_account(settings: Settings, *, chain_id: int | None = None) -> LocalAccount:
    """The account Settings name: private key, else keystore (+password), else dev account.

    Dev accounts are refused unless `chain_id` is the local chain (31337): their keys are public.
    """
    if settings.private_key:
        return account_from_key(settings.private_key)
    if settings.keystore_path is not None:
        return account_from_keystore(settings)
    if settings.dev_account is not None:
        if chain_id != LOCAL_CHAIN_ID:
            raise ConfigError(
                f"FEDLEND_DEV_ACCOUNT only works on the local chain (id {LOCAL_CHAIN_ID}), "
                f"not chain {chain_id}: set FEDLEND_PRIVATE_KEY or FEDLEND_KEYSTORE instead"
            )
        return dev_account(settings.dev_account)
    raise ConfigError(
        "no account configured: set FEDLEND_PRIVATE_KEY, FEDLEND_KEYSTORE (+ "
        "FEDLEND_KEYSTORE_PASSWORD), or FEDLEND_DEV_ACCOUNT=0..9 on a local chain"
    )


def account_from_key(private_key: str) -> LocalAccount:
    """An account from a hex private key; the key never appears in the error message."""
    try:
        return Account.from_key(private_key.strip())
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            "FEDLEND_PRIVATE_KEY is not a valid 32-byte hex private key: check the value"
        ) from exc


def account_from_keystore(settings: Settings) -> LocalAccount:
    """Decrypt the keystore file Settings names with its password."""
    path = settings.keystore_path
    if path is None:
        raise ConfigError("FEDLEND_KEYSTORE is not set")
    if settings.keystore_password is None:
        raise ConfigError(f"keystore {path} needs FEDLEND_KEYSTORE_PASSWORD to be set")
    try:
        keyfile = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read keystore {path}: {exc}; check FEDLEND_KEYSTORE") from exc
    try:
        key = Account.decrypt(keyfile, settings.keystore_password)
    except (ValueError, TypeError, KeyError) as exc:
        raise ConfigError(
            f"cannot decrypt keystore {path}: wrong FEDLEND_KEYSTORE_PASSWORD or damaged file"
        ) from exc
    return Account.from_key(key)
