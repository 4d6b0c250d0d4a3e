"""A ContentStore wrapper for long-running apps: caches verified reads, fails fast in an outage."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from fedlend.errors import StorageUnavailableError
from fedlend.storage.base import ContentStore

T = TypeVar("T")
DEFAULT_CACHE_BYTES = 32 << 20
DEFAULT_OUTAGE_S = 5.0


class GuardedStore:
    """Wraps a store: reads are cached by CID (content-addressed, verified by the inner store, so
    a cached copy can never go stale), and once the store is unreachable every call fails at once
    with the same message for `outage_s` seconds instead of waiting on its retries again."""

    def __init__(
        self,
        inner: ContentStore,
        *,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        outage_s: float = DEFAULT_OUTAGE_S,
    ) -> None:
        self.inner = inner
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_bytes = cache_bytes
        self._size = 0
        self._outage_s = outage_s
        self._down: tuple[float, str] | None = None
        self._lock = threading.Lock()

    @property
    def max_blob_bytes(self) -> int:
        """The inner store's blob size limit."""
        return self.inner.max_blob_bytes

    def get(self, cid: str) -> bytes:
        """Cached bytes, else the inner store's (then cached)."""
        with self._lock:
            if cid in self._cache:
                self._cache.move_to_end(cid)
                return self._cache[cid]
        data = self._guard(lambda: self.inner.get(cid))
        self._remember(cid, data)
        return data

    def put(self, data: bytes) -> str:
        """Store through the inner store."""
        return self._guard(lambda: self.inner.put(data))

    def pin(self, cid: str) -> None:
        """Pin through the inner store."""
        self._guard(lambda: self.inner.pin(cid))

    def has(self, cid: str) -> bool:
        """Ask the inner store."""
        return self._guard(lambda: self.inner.has(cid))

    def _guard(self, call: Callable[[], T]) -> T:
        with self._lock:
            down = self._down
        if down is not None and time.monotonic() - down[0] < self._outage_s:
            raise StorageUnavailableError(down[1])
        try:
            result = call()
        except StorageUnavailableError as exc:
            with self._lock:
                self._down = (time.monotonic(), str(exc))
            raise
        with self._lock:
            self._down = None
        return result

    def _remember(self, cid: str, data: bytes) -> None:
        if len(data) > self._cache_bytes // 4:
            return
        with self._lock:
            if cid in self._cache:
                return
            self._cache[cid] = data
            self._size += len(data)
            while self._size > self._cache_bytes:
                _, dropped = self._cache.popitem(last=False)
                self._size -= len(dropped)
