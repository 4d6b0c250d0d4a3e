"""The lender app's handles on the service layer: built lazily, cached per app, outages reported."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app, flash, render_template
from flask.typing import ResponseReturnValue
from web3.exceptions import BadFunctionCallOutput

from fedlend.errors import FedlendError
from fedlend.services.event_cache import EventCache
from fedlend.services.lender import LenderService
from fedlend.web import Badge, get_settings
from fedlend.web.connection import ServiceConnection, open_guarded_node
from fedlend.web.filters import eth_short, short_address

SERVICE_KEY = "lender_service"
EVENTS_KEY = "lender_events"


def init_connection(app: Flask) -> None:
    """Give the app its lender connection (a guarded node; connects on first use)."""

    def build() -> LenderService:
        state = app.config.get("LENDER_STATE_DIR")
        node = open_guarded_node(app.config["FEDLEND_SETTINGS"])
        return LenderService(node, state=Path(state) if state else None)

    app.extensions[SERVICE_KEY] = ServiceConnection("lender", build)


def get_lender() -> LenderService:
    """The app's LenderService (connects on first use; a failure is retried on a later request).

    Raises the FedlendError that stopped it (chain down, no contract, no account ...). Within one
    request a failure is remembered, so a page with an offline chain only waits for it once.
    """
    return current_app.extensions[SERVICE_KEY].get()


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
    if settings.private_key:
        return "a private key from FEDLEND_PRIVATE_KEY (never shown)"
    if settings.keystore_path is not None:
        return f"the keystore file {settings.keystore_path}"
    if settings.dev_account is not None:
        return f"Anvil dev account #{settings.dev_account} (public test key: local chain only)"
    return "no account configured"


def badge() -> Badge:
    """Header badge: the lender's address, chain and balance (red when the chain is down)."""
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
    return current_app.extensions[SERVICE_KEY].lost_contract(exc)
