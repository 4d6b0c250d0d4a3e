"""The lender app's handles on the service layer: built lazily, cached per app, outages reported."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app, flash, g, has_request_context, render_template
from flask.typing import ResponseReturnValue
from web3.exceptions import BadFunctionCallOutput

from fedlend.errors import FedlendError
from fedlend.services.event_cache import EventCache
from fedlend.services.lender import LenderService
from fedlend.services.node import open_node
from fedlend.web import Badge, get_settings, wallet_mode
from fedlend.web.errorpages import render_error
from fedlend.web.filters import eth_short, short_address
from fedlend.web.job_recheck import recheck_on_connect

SERVICE_KEY = "lender_service"
WALLET_SERVICES = "lender_wallet_services"
EVENTS_KEY = "lender_events"
_BUILD_LOCK = threading.Lock()


def get_lender() -> LenderService:
    """The app's LenderService (connects on first use; a failure is retried on a later request).

    Raises the FedlendError that stopped it (chain down, no contract, no account ...). Within one
    request a failure is remembered, so a page with an offline chain only waits for it once.
    In wallet mode it is the signed-in wallet's own service (WalletNotConnectedError if none).
    """
    if wallet_mode.wallet_mode():
        return _wallet_lender(wallet_mode.require_address())
    service = current_app.extensions.get(SERVICE_KEY)
    if service is not None:
        return service
    failed = g.get("lender_error") if _in_request() else None
    if failed is not None:
        raise failed
    with _BUILD_LOCK:
        service = current_app.extensions.get(SERVICE_KEY)
        if service is None:
            try:
                service = _build()
            except FedlendError as exc:
                if _in_request():
                    g.lender_error = exc
                raise
            current_app.extensions[SERVICE_KEY] = service
            recheck_on_connect(service.node.client)
    return service


def _build() -> LenderService:
    state = current_app.config.get("LENDER_STATE_DIR")
    node = open_node(get_settings())
    return LenderService(node, state=Path(state) if state else None)


def _wallet_lender(address: str) -> LenderService:
    """One LenderService per signed-in wallet; it sends and signs through that wallet."""
    services: dict[str, LenderService] = current_app.extensions.setdefault(WALLET_SERVICES, {})
    key = address.lower()
    with _BUILD_LOCK:
        if key not in services:
            account = wallet_mode.wallet_account(address)
            state = current_app.config.get("LENDER_STATE_DIR")
            node = open_node(get_settings(), account=account)
            services[key] = LenderService(node, state=Path(state) / key if state else None)
        return services[key]


def _in_request() -> bool:
    return has_request_context()


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


def badge() -> Badge:
    """Header badge: the lender's address, chain and balance (red when the chain is down)."""
    if wallet_mode.wallet_mode() and wallet_mode.acting_address() is None:
        return Badge("not signed in", "wallet mode: connect your wallet", "warn")
    lender = get_lender()
    node = lender.node
    detail = f"chain {node.chain_id} · {eth_short(node.balance())}"
    return Badge(short_address(node.address), detail, "ok")


@contextmanager
def flash_errors() -> Iterator[None]:
    """Around a form action: a FedlendError becomes an error message on the page shown next."""
    try:
        yield
    except FedlendError as exc:
        flash(str(exc), "error")


def offline_page(heading: str, problem: FedlendError) -> tuple[str, int]:
    """A nav page whose data is unreachable: the layout with the reason, still a working page."""
    return render_template("offline.html", heading=heading, problem=str(problem)), 200


def forget_service(exc: BadFunctionCallOutput) -> ResponseReturnValue:
    """The contract stopped answering (a chain restarted without its state): reconnect next time."""
    current_app.extensions.pop(SERVICE_KEY, None)
    current_app.extensions.pop(WALLET_SERVICES, None)
    current_app.logger.warning("contract call returned nothing: %s", exc)
    return render_error(
        503,
        "the contract does not answer on this chain any more (was the chain restarted without "
        "its state?): run `fedlend deploy` or restart the chain with its saved state, then reload",
    )
