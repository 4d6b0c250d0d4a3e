"""One chain head per page: reads in a scope share one latest block and its view-call results.

A web request opens a scope (`begin()` ... `end()`, or `with one_head():`); inside it, every
client on the same node reads the latest block once and answers a repeated view call (the same
function, arguments and head) from memory. Anything the client sends forgets the scope's
memory, so a read after a write sees the new head. Outside a scope (background jobs, the CLI)
nothing is remembered. A scope is per thread: concurrent requests never share one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")
_local = threading.local()


def begin() -> None:
    """Open this thread's scope (a page starts): nothing read yet."""
    _local.memo = {}


def end() -> None:
    """Close this thread's scope (the page is done): forget what it read."""
    _local.memo = None


@contextmanager
def one_head() -> Iterator[None]:
    """A scope for the block's duration (restoring any outer scope after)."""
    outer = getattr(_local, "memo", None)
    begin()
    try:
        yield
    finally:
        _local.memo = outer


def active() -> bool:
    """Whether this thread is inside a scope."""
    return getattr(_local, "memo", None) is not None


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """compute() once per scope and key (every time outside a scope)."""
    memo: dict[Hashable, Any] | None = getattr(_local, "memo", None)
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    value: T = memo[key]
    return value


def forget() -> None:
    """Drop what this scope read (a transaction was sent: the head moves)."""
    if active():
        _local.memo = {}


class HeadMemo:
    """Values read at one chain head, shared by the pages that read that head (bounded).

    Keyed by the head block's hash: a new block, a reorg or a restarted chain changes it, and
    everything remembered is dropped. (A dev chain's cheat calls that change state without
    mining a block, such as anvil_setBalance, are seen from the next block on.)"""

    def __init__(self, limit: int = 4096) -> None:
        self._lock = threading.Lock()
        self._head: bytes | None = None
        self._values: dict[Hashable, Any] = {}
        self._limit = limit

    def get(self, head: bytes, key: Hashable, compute: Callable[[], T]) -> T:
        """The value for `key` at `head`, computed once per head."""
        with self._lock:
            if self._head != head:
                self._head, self._values = head, {}
            elif key in self._values:
                found: T = self._values[key]
                return found
        value = compute()
        with self._lock:
            if self._head == head and len(self._values) < self._limit:
                self._values[key] = value
        return value
