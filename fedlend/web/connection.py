"""Each app's one connection: settings -> node -> service, key or wallet mode, outages explained.

Both apps install a Connection with a `build(node)` that makes their service (LenderService or
OwnerService). Key mode opens one node with the configured key; wallet mode one node per signed-in
wallet (it signs and sends through that wallet). A failed connect is remembered for
RETRY_AFTER_S, so a page with the chain down waits for it once, and later pages retry. With the
chain down, `local_service()` still gives this account's local records (nothing reaches the node).
"""

from __future__ import annotations

import copy
import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from flask import Flask, current_app, render_template
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
from fedlend.settings import Settings
from fedlend.storage.factory import open_store
from fedlend.web import wallet_mode
from fedlend.web.app import Badge
from fedlend.web.errorpages import render_error
from fedlend.web.filters import eth_short, short_address
from fedlend.web.job_recheck import recheck_on_connect

S = TypeVar("S")
EXTENSION = "fedlend_connection"
ZERO_ADDRESS = "0x" + "00" * 20
RETRY_AFTER_S = 3.0  # after a failed connect, pages show the same error for this long
OUTAGES = (ChainUnavailableError, StorageUnavailableError, ConfigError, WalletNotConnectedError)
LOST_CONTRACT = (
    "the contract does not answer on this chain any more (was the chain restarted without its "
    "state?): run `fedlend deploy` or restart the chain with its saved state, then reload"
)
NO_ACCOUNT = "no account configured: set FEDLEND_PRIVATE_KEY or FEDLEND_KEYSTORE"


class Connection(Generic[S]):
    """Opens the node and the app's service lazily; a failure is remembered briefly, retried."""

    def __init__(self, settings: Settings, build: Callable[[Node], S]) -> None:
        self.settings = settings
        self._build = build
        self._lock = threading.Lock()
        self._service: S | None = None
        self._failure: tuple[float, FedlendError] | None = None
        self._wallets: dict[str, S] = {}

    def service(self) -> S:
        """The connected service; raises the FedlendError that says why it cannot connect."""
        if wallet_mode.wallet_mode():
            return self.wallet_service(wallet_mode.require_address())
        with self._lock:
            if self._service is not None:
                return self._service
            if self._failure and time.monotonic() - self._failure[0] < RETRY_AFTER_S:
                raise _copy(self._failure[1])
            try:
                node = _guarded(open_node(self.settings))
                self._service = self._build(node)
                recheck_on_connect(node.client)
            except FedlendError as exc:
                self._failure = (time.monotonic(), exc)
                raise
            self._failure = None
            return self._service

    def wallet_service(self, address: str) -> S:
        """The signed-in wallet's own service (it signs and sends through that wallet)."""
        key = address.lower()
        with self._lock:
            if key not in self._wallets:
                account = wallet_mode.wallet_account(address)
                node = open_node(self.settings, account=account)
                self._wallets[key] = self._build(_guarded(node))
            return self._wallets[key]

    def local_service(self) -> S:
        """This account's local records only, for pages that show local data with the chain down.

        Nothing here reaches the node: the client is built but never called, so only pages that
        show local data may use it (service methods that read the chain would fail).
        """
        if wallet_mode.wallet_mode():
            address = wallet_mode.require_address()
        else:
            address = wallet_mode.key_address(self.settings)
        if not address:
            raise ConfigError(NO_ACCOUNT)
        account = _AddressOnly(Web3.to_checksum_address(address))  # no key is loaded
        w3 = Web3(Web3.HTTPProvider(self.settings.rpc_url))
        contract = self.settings.contract_address or ZERO_ADDRESS
        client = ModelRepositoryClient(w3, contract, account)  # type: ignore[arg-type]
        store = GuardedStore(open_store(self.settings))
        return self._build(Node(settings=self.settings, client=client, store=store))

    def forget(self) -> None:
        """Drop the connections (the contract vanished): the next use connects afresh."""
        with self._lock:
            self._service = None
            self._failure = None
            self._wallets.clear()


@dataclass(frozen=True)
class _AddressOnly:
    """An account known by its address alone (local pages while the chain is down)."""

    address: str


def _guarded(node: Node) -> Node:
    """The node with its store cached and failing fast in an outage (a long-running app)."""
    return replace(node, store=GuardedStore(node.store))


def _copy(exc: FedlendError) -> FedlendError:
    """A fresh exception with the same type, message and fields (one must not cross threads)."""
    try:
        fresh = copy.copy(exc)  # the instance's fields come along in its __dict__
    except Exception:  # an __init__ that does not take its own args back
        return FedlendError(str(exc))
    fresh.args = exc.args  # the message exactly, even where __init__ formats its own
    fresh.__traceback__ = None
    return fresh


def install(app: Flask, build: Callable[[Node], Any]) -> None:
    """Give `app` its Connection and turn a vanished contract into a clear 503."""
    app.extensions[EXTENSION] = Connection(app.config["FEDLEND_SETTINGS"], build)
    app.register_error_handler(BadFunctionCallOutput, forget_lost_contract)


def connection() -> Connection[Any]:
    """The current app's Connection."""
    found: Connection[Any] = current_app.extensions[EXTENSION]
    return found


def local_or_connected() -> Any:
    """The connected service, or with the chain down this account's local records only."""
    try:
        return connection().service()
    except ChainUnavailableError:
        return connection().local_service()


def badge() -> Badge:
    """Header badge: the account's address, the chain and its ETH balance (red when offline)."""
    if wallet_mode.wallet_mode() and wallet_mode.acting_address() is None:
        return Badge("not signed in", "wallet mode: connect your wallet", "warn")
    node: Node = connection().service().node
    detail = f"chain {node.chain_id} · {eth_short(node.balance())}"
    return Badge(short_address(node.address), detail)


def offline_page(heading: str, problem: FedlendError) -> tuple[str, int]:
    """A menu page whose data is unreachable: the layout with the reason, still a working page."""
    return render_template("offline.html", heading=heading, problem=str(problem)), 200


def nav_page(heading: str) -> Callable[[Callable[..., Any]], Callable[..., ResponseReturnValue]]:
    """A menu page that, when the chain, storage or account is unavailable, still opens and
    says why (the layout and menu keep working; the badge is red)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., ResponseReturnValue]:
        @functools.wraps(view)
        def page(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            try:
                return view(*args, **kwargs)
            except OUTAGES as exc:
                return offline_page(heading, exc)

        return page

    return decorate


def forget_lost_contract(exc: BadFunctionCallOutput) -> ResponseReturnValue:
    """The contract stopped answering (a chain reset): a clear 503, and reconnect next time."""
    connection().forget()
    current_app.logger.warning("contract call returned nothing: %s", exc)
    return render_error(503, LOST_CONTRACT, down="The contract is not answering")
