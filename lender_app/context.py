"""The lender app's adapter on the shared connection (fedlend/web/connection.py), its events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app, flash

from fedlend.errors import FedlendError
from fedlend.services.event_cache import EventCache
from fedlend.services.lender import LenderService
from fedlend.services.node import Node
from fedlend.web import connection, get_settings, wallet_mode

EVENTS_KEY = "lender_events"


def install(app: Flask) -> None:
    """The shared connection, building this app's LenderService (fedlend/web/connection.py)."""
    connection.install(app, _lender)


def _lender(node: Node) -> LenderService:
    """Key mode: LENDER_STATE_DIR (default FEDLEND_HOME/lender/<address>/); a wallet: a folder
    of its own under LENDER_STATE_DIR."""
    state = current_app.config.get("LENDER_STATE_DIR")
    if state and wallet_mode.wallet_mode():
        return LenderService(node, state=Path(state) / node.address.lower())
    return LenderService(node, state=Path(state) if state else None)


def get_lender() -> LenderService:
    """The app's LenderService (connects on first use; a failure is retried a little later).

    Raises the FedlendError that stopped it (chain down, no contract, no account ...). In wallet
    mode it is the signed-in wallet's own service (WalletNotConnectedError if none).
    """
    service: LenderService = connection.connection().service()
    return service


def local_lender() -> LenderService:
    """The connected service, or with the chain down this account's local records only."""
    service: LenderService = connection.local_or_connected()
    return service


def get_events() -> EventCache:
    """The app's event cache (DATA_DIR/chain-events.sqlite3)."""
    cache = current_app.extensions.get(EVENTS_KEY)
    if cache is None:
        cache = EventCache(current_app.config["DATA_DIR"] / "chain-events.sqlite3")
        current_app.extensions[EVENTS_KEY] = cache
    return cache


def account_source() -> str:
    """Where the signing key comes from, in words (never the key itself)."""
    settings = get_settings()
    if wallet_mode.wallet_mode():
        return "your browser wallet (this app holds no key)"
    if settings.private_key:
        return "a private key from FEDLEND_PRIVATE_KEY (never shown)"
    if settings.keystore_path is not None:
        return f"the keystore file {settings.keystore_path}"
    if settings.dev_account is not None:
        return f"Anvil dev account #{settings.dev_account} (public test key: local chain only)"
    return "no account configured"


@contextmanager
def flash_errors() -> Iterator[None]:
    """Around a form action: a FedlendError becomes an error message on the page shown next."""
    try:
        yield
    except FedlendError as exc:
        flash(str(exc), "error")
