"""The owner app's OwnerService: opened on first use, shared by pages and jobs, retried."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

from flask import current_app

from fedlend.errors import FedlendError
from fedlend.services.guarded_store import GuardedStore
from fedlend.services.node import open_node
from fedlend.services.owner import OwnerService
from fedlend.settings import Settings
from fedlend.web import Badge
from fedlend.web.filters import short_address

EXTENSION = "fedlend_owner"
RETRY_AFTER_S = 3.0  # after a failed connect, pages show the same error for this long


class OwnerConnection:
    """Opens the node and OwnerService lazily; a failure is remembered briefly, then retried."""

    def __init__(self, settings: Settings, data_dir: Path) -> None:
        self.settings = settings
        self.data_dir = data_dir
        self._lock = threading.Lock()
        self._service: OwnerService | None = None
        self._failure: tuple[float, FedlendError] | None = None

    def service(self) -> OwnerService:
        """The connected service; raises the FedlendError that says why it cannot connect."""
        with self._lock:
            if self._service is not None:
                return self._service
            if self._failure and time.monotonic() - self._failure[0] < RETRY_AFTER_S:
                raise _copy(self._failure[1])
            try:
                node = open_node(self.settings)
                node = replace(node, store=GuardedStore(node.store))
                state = self.data_dir / node.address.lower()
                self._service = OwnerService(node, state=state)
            except FedlendError as exc:
                self._failure = (time.monotonic(), exc)
                raise
            self._failure = None
            return self._service


def _copy(exc: FedlendError) -> FedlendError:
    """A fresh exception with the same type and message (one instance must not cross threads)."""
    try:
        return type(exc)(str(exc))
    except TypeError:
        return FedlendError(str(exc))


def owner_service() -> OwnerService:
    """The current app's OwnerService (connecting on first use)."""
    return current_app.extensions[EXTENSION].service()


def badge() -> Badge:
    """Header badge: this owner's address, the chain and its ETH balance (red when offline)."""
    owner = owner_service()
    node = owner.node
    return Badge(
        short_address(node.address), f"chain {node.chain_id} · {_eth_short(node.balance())}"
    )


def _eth_short(wei: int) -> str:
    """A balance to 4 decimals, rounded down, for the header (pages show exact amounts)."""
    whole, fraction = divmod(int(wei), 10**18)
    return f"{whole:,}.{fraction // 10**14:04d} ETH"
