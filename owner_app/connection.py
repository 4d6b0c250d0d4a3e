"""The owner app's OwnerService (fedlend.web.connection: opened on first use, shared, retried)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from flask.typing import ResponseReturnValue
from web3.exceptions import BadFunctionCallOutput

from fedlend.errors import ChainUnavailableError, ConfigError, StorageUnavailableError
from fedlend.services.owner import OwnerService
from fedlend.settings import Settings
from fedlend.web import Badge
from fedlend.web.connection import ServiceConnection, open_guarded_node
from fedlend.web.filters import eth_short, short_address

EXTENSION = "fedlend_owner"
RETRY_AFTER_S = 3.0  # after a failed connect, pages show the same error for this long
OUTAGES = (ChainUnavailableError, StorageUnavailableError, ConfigError)


def owner_connection(settings: Settings, data_dir: Path) -> ServiceConnection[OwnerService]:
    """The owner app's connection: a guarded node, its OwnerService with state under data_dir."""

    def build() -> OwnerService:
        node = open_guarded_node(settings)
        return OwnerService(node, state=data_dir / node.address.lower())

    return ServiceConnection("owner", build, retry_after_s=RETRY_AFTER_S)


def owner_service() -> OwnerService:
    """The current app's OwnerService (connecting on first use)."""
    return current_app.extensions[EXTENSION].get()


def badge() -> Badge:
    """Header badge: this owner's address, the chain and its ETH balance (red when offline)."""
    owner = owner_service()
    node = owner.node
    return Badge(
        short_address(node.address), f"chain {node.chain_id} · {eth_short(node.balance())}"
    )


def nav_page(heading: str) -> Callable[[Callable[..., Any]], Callable[..., ResponseReturnValue]]:
    """A menu page that, when the chain, storage or account is unavailable, still opens and
    says why (the layout and menu keep working; the badge is red)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., ResponseReturnValue]:
        @functools.wraps(view)
        def page(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            try:
                return view(*args, **kwargs)
            except OUTAGES as exc:
                return render_template("home/offline.html", heading=heading, problem=str(exc))

        return page

    return decorate


def forget_lost_contract(exc: BadFunctionCallOutput) -> ResponseReturnValue:
    """The contract stopped answering (a chain reset): a clear 503, and reconnect next time."""
    return current_app.extensions[EXTENSION].lost_contract(exc)
