"""What the content caches share: a thread-safe LRU map and one cache per store object."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")
C = TypeVar("C")


class Lru(Generic[K, V]):
    """key -> value, at most `max_entries`, the least recently used dropped first."""

    def __init__(self, max_entries: int) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def find(self, key: K) -> V | None:
        """The value kept under `key` (now the most recently used), or None."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def keep(self, key: K, value: V) -> None:
        """Remember `value` under `key`, dropping the oldest entries past the limit."""
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._max:
                self._items.popitem(last=False)


class PerStore(Generic[C]):
    """One cache per store object, made on first use, gone with the store (weak keys)."""

    def __init__(self, make: Callable[[], C]) -> None:
        self._make = make
        self._caches: weakref.WeakKeyDictionary[object, C] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def of(self, store: object) -> C:
        """The cache that belongs to `store` (an app's store lives as long as the app)."""
        with self._lock:
            cache = self._caches.get(store)
            if cache is None:
                cache = self._caches[store] = self._make()
            return cache
