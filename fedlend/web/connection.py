"""An app's one service (LenderService, OwnerService): opened on first use, shared, retried.

Both apps keep a small adapter that says how to build their service; this module holds the idiom:
a failed connect is remembered for the rest of the request (a page waits for an offline chain
once) and for `retry_after_s` across requests, then retried; a contract that stops answering (a
chain restarted without its state) drops the service so the next use connects afresh.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Generic, TypeVar

from flask import current_app, g, has_request_context
from flask.typing import ResponseReturnValue

from fedlend.errors import FedlendError
from fedlend.services.guarded_store import GuardedStore
from fedlend.services.node import Node, open_node
from fedlend.settings import Settings
from fedlend.web.errorpages import render_error

T = TypeVar("T")
LOST_CONTRACT = (
    "the contract does not answer on this chain any more (was the chain restarted without its "
    "state?): run `fedlend deploy` or restart the chain with its saved state, then reload"
)


class ServiceConnection(Generic[T]):
    """Builds one service lazily (thread-safe); failures are remembered briefly, then retried."""

    def __init__(self, name: str, build: Callable[[], T], *, retry_after_s: float = 0.0) -> None:
        self.name = name
        self.retry_after_s = retry_after_s
        self._build = build
        self._lock = threading.Lock()
        self._service: T | None = None
        self._failure: tuple[float, FedlendError] | None = None

    def get(self) -> T:
        """The connected service; raises the FedlendError that says why it cannot connect."""
        if self._service is not None:
            return self._service
        failed = g.get(self._request_key) if has_request_context() else None
        if isinstance(failed, FedlendError):
            raise copy_error(failed)
        with self._lock:
            return self._connect()

    def _connect(self) -> T:
        if self._service is not None:  # another thread connected while this one waited
            return self._service
        if self._failure and time.monotonic() - self._failure[0] < self.retry_after_s:
            raise copy_error(self._failure[1])
        try:
            service = self._build()
        except FedlendError as exc:
            self._failure = (time.monotonic(), exc)
            if has_request_context():
                setattr(g, self._request_key, exc)
            raise
        self._service, self._failure = service, None
        return service

    def forget(self) -> None:
        """Drop the service (the contract vanished): the next use connects afresh."""
        with self._lock:
            self._service = None

    def lost_contract(self, exc: Exception) -> ResponseReturnValue:
        """The contract stopped answering: a clear 503, and a fresh connection on the next use."""
        self.forget()
        current_app.logger.warning("contract call returned nothing: %s", exc)
        return render_error(503, LOST_CONTRACT)

    @property
    def _request_key(self) -> str:
        return f"fedlend_connection_error_{self.name}"


def copy_error(exc: FedlendError) -> FedlendError:
    """A fresh copy of `exc`, fields included (one instance must not be raised in two threads)."""
    try:
        return copy.copy(exc)
    except TypeError:
        return FedlendError(str(exc))


def open_guarded_node(settings: Settings) -> Node:
    """A node whose store reads are cached and fail fast while the store is down (GuardedStore)."""
    node = open_node(settings)
    return replace(node, store=GuardedStore(node.store))
