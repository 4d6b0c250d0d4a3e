"""Which mode an app signs in (key or wallet), who is acting now, and the signed-in wallets.

Key mode: the app holds a key (FEDLEND_PRIVATE_KEY, FEDLEND_KEYSTORE or FEDLEND_DEV_ACCOUNT), as
the CLI, the demo and headless use need. Wallet mode (FEDLEND_SIGNING=wallet, or no key set): the
app holds none; a user connects a browser wallet and signs in (fedlend/wallet/signin.py), and
every transaction and signature is made by that wallet (fedlend/wallet/account.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from eth_account import Account
from flask import Flask, current_app, has_request_context, session

from fedlend.chain.accounts import dev_account
from fedlend.errors import ConfigError, WalletNotConnectedError
from fedlend.settings import Settings
from fedlend.wallet.account import WalletAccount
from fedlend.wallet.bridge import WalletBridge
from fedlend.wallet.signin import NonceBook, WalletSession
from fedlend.web.jobs import current_job

SIGNING_ENV = "FEDLEND_SIGNING"
SESSION_KEY = "wallet"
NOT_CONNECTED = (
    "this app is in wallet mode and no wallet is signed in: click “Connect wallet” at the top "
    "of the page and sign in with your account"
)


def install(app: Flask, settings: Settings, mode: str | None) -> None:
    """Decide the app's mode and give it a bridge, a nonce book and a wallet registry."""
    chosen = mode or _mode_from(settings)
    if chosen not in ("key", "wallet"):
        raise ConfigError(f"{SIGNING_ENV} must be 'key' or 'wallet', got {chosen!r}")
    app.config["SIGNING_MODE"] = chosen
    app.extensions["fedlend_wallet"] = {
        "bridge": WalletBridge(timeout_s=float(app.config.get("WALLET_TIMEOUT_S", 900))),
        "nonces": NonceBook(),
        "accounts": {},
    }


def _mode_from(settings: Settings) -> str:
    forced = os.environ.get(SIGNING_ENV, "")
    if forced:
        return forced
    has_key = settings.private_key or settings.keystore_path or settings.dev_account is not None
    return "key" if has_key else "wallet"


def wallet_mode() -> bool:
    """True when the current app holds no key and signs with browser wallets."""
    return current_app.config.get("SIGNING_MODE") == "wallet"


def bridge() -> WalletBridge:
    """The current app's WalletBridge."""
    return current_app.extensions["fedlend_wallet"]["bridge"]


def nonces() -> NonceBook:
    """The current app's sign-in nonces."""
    return current_app.extensions["fedlend_wallet"]["nonces"]


def wallet_session() -> WalletSession | None:
    """The signed-in wallet of this request (None if none, or expired: then it is dropped)."""
    if not has_request_context():
        return None
    found = WalletSession.from_json(session.get(SESSION_KEY))
    if found is not None and found.expired():
        session.pop(SESSION_KEY, None)
        return None
    return found


def acting_address() -> str | None:
    """Who acts now: a job's owner inside a job, else this request's wallet (wallet mode only)."""
    job = current_job()
    if job is not None:
        return job[1] or None
    found = wallet_session()
    return found.address if found else None


def require_address() -> str:
    """The acting wallet address; WalletNotConnectedError (with what to do) if there is none."""
    address = acting_address()
    if address is None:
        raise WalletNotConnectedError(NOT_CONNECTED)
    return address


def wallet_account(address: str) -> WalletAccount:
    """The one WalletAccount per address in this app (it keeps the unlocked decryption key)."""
    accounts: dict[str, WalletAccount] = current_app.extensions["fedlend_wallet"]["accounts"]
    key = address.lower()
    if key not in accounts:
        accounts[key] = WalletAccount(address, bridge=bridge(), job=_job_context)
    return accounts[key]


def forget_wallet(address: str) -> None:
    """Drop an address's WalletAccount (and with it the decryption key it held)."""
    current_app.extensions["fedlend_wallet"]["accounts"].pop(address.lower(), None)


def _job_context() -> tuple[str, Callable[[], bool]] | None:
    job = current_job()
    return None if job is None else (job[0], job[2])


def job_owner(app: Flask) -> str:
    """The owner stamp of jobs: the acting wallet, or in key mode the key's address."""
    job = current_job()
    if job is not None:
        return job[1]
    if app.config.get("SIGNING_MODE") == "wallet":
        found = wallet_session()
        return found.address.lower() if found else ""
    return key_address(app.config["FEDLEND_SETTINGS"])


def key_address(settings: Settings) -> str:
    """The configured key's address without touching the chain ('' if none or unreadable)."""
    return _key_address(settings.private_key, settings.keystore_path, settings.dev_account)


@lru_cache(maxsize=32)
def _key_address(private_key: str | None, keystore: object, dev_index: int | None) -> str:
    try:
        if private_key:
            return str(Account.from_key(private_key.strip()).address).lower()
        if keystore is not None:
            raw = json.loads(Path(str(keystore)).read_text())["address"]
            return "0x" + str(raw).lower().removeprefix("0x")
        if dev_index is not None:
            return str(dev_account(dev_index).address).lower()
    except (OSError, ValueError, KeyError, TypeError, ConfigError):
        return ""
    return ""
