"""The owner app's OwnerService: opened on first use, shared by pages and jobs, retried."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from flask.typing import ResponseReturnValue
from web3 import Web3
from web3.exceptions import BadFunctionCallOutput

from fedlend.chain.client import ModelRepositoryClient
from fedlend.errors import (
    ChainUnavailableError,
    ConfigError,
    FedlendError,
    StorageUnavailableError,
    WalletNotConnectedError,
)
from fedlend.services.guarded_store import GuardedStore
from fedlend.services.node import Node, open_node
from fedlend.services.owner import OwnerService
from fedlend.settings import Settings
from fedlend.storage.factory import open_store
from fedlend.web import Badge, wallet_mode
from fedlend.web.errorpages import render_error
from fedlend.web.filters import eth_short, short_address
from fedlend.web.job_recheck import recheck_on_connect

EXTENSION = "fedlend_owner"
ZERO_ADDRESS = "0x" + "00" * 20
RETRY_AFTER_S = 3.0  # after a failed connect, pages show the same error for this long
OUTAGES = (ChainUnavailableError, StorageUnavailableError, ConfigError, WalletNotConnectedError)
LOST_CONTRACT = (
    "the contract does not answer on this chain any more (was the chain restarted without its "
    "state?): run `fedlend deploy` or restart the chain with its saved state, then reload"
)


class OwnerConnection:
    """Opens the node and OwnerService lazily; a failure is remembered briefly, then retried."""

    def __init__(self, settings: Settings, data_dir: Path) -> None:
        self.settings = settings
        self.data_dir = data_dir
        self._lock = threading.Lock()
        self._service: OwnerService | None = None
        self._failure: tuple[float, FedlendError] | None = None
        self._wallets: dict[str, OwnerService] = {}

    def service(self) -> OwnerService:
        """The connected service; raises the FedlendError that says why it cannot connect."""
        if wallet_mode.wallet_mode():
            return self.wallet_service(wallet_mode.require_address())
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
                recheck_on_connect(node.client)
            except FedlendError as exc:
                self._failure = (time.monotonic(), exc)
                raise
            self._failure = None
            return self._service

    def wallet_service(self, address: str) -> OwnerService:
        """The signed-in wallet's own OwnerService (it signs and sends through that wallet)."""
        key = address.lower()
        with self._lock:
            if key not in self._wallets:
                node = open_node(self.settings, account=wallet_mode.wallet_account(address))
                node = replace(node, store=GuardedStore(node.store))
                self._wallets[key] = OwnerService(node, state=self.data_dir / key)
            return self._wallets[key]

    def local_service(self) -> OwnerService:
        """This account's local records only (datasets, privacy ledger) while the chain is down.

        Nothing here reaches the node: the client is built but never called, so only pages that
        show local data may use it (OwnerService methods that read the chain would fail).
        """
        if wallet_mode.wallet_mode():
            address = wallet_mode.require_address()
        else:
            address = wallet_mode.key_address(self.settings)
        if not address:
            raise ConfigError("no account configured: set FEDLEND_PRIVATE_KEY or FEDLEND_KEYSTORE")
        account = _AddressOnly(Web3.to_checksum_address(address))  # no key is loaded
        w3 = Web3(Web3.HTTPProvider(self.settings.rpc_url))
        contract = self.settings.contract_address or ZERO_ADDRESS
        client = ModelRepositoryClient(w3, contract, account)  # type: ignore[arg-type]
        store = GuardedStore(open_store(self.settings))
        node = Node(settings=self.settings, client=client, store=store)
        return OwnerService(node, state=self.data_dir / node.address.lower())

    def forget(self) -> None:
        """Drop the connection (the contract vanished): the next use connects afresh."""
        with self._lock:
            self._service = None
            self._wallets.clear()


@dataclass(frozen=True)
class _AddressOnly:
    """An account known by its address alone (local pages while the chain is down)."""

    address: str


def _copy(exc: FedlendError) -> FedlendError:
    """A fresh exception with the same type and message (one instance must not cross threads)."""
    try:
        return type(exc)(str(exc))
    except TypeError:
        return FedlendError(str(exc))


def owner_service() -> OwnerService:
    """The current app's OwnerService (connecting on first use)."""
    return current_app.extensions[EXTENSION].service()


def local_owner_service() -> OwnerService:
    """The connected service, or with the chain down this account's local records only."""
    try:
        return owner_service()
    except ChainUnavailableError:
        return current_app.extensions[EXTENSION].local_service()


def badge() -> Badge:
    """Header badge: this owner's address, the chain and its ETH balance (red when offline)."""
    if wallet_mode.wallet_mode() and wallet_mode.acting_address() is None:
        return Badge("not signed in", "wallet mode: connect your wallet", "warn")
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
    current_app.extensions[EXTENSION].forget()
    current_app.logger.warning("contract call returned nothing: %s", exc)
    return render_error(503, LOST_CONTRACT)
