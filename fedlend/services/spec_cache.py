"""Parsed model specs remembered by digest: content-addressed, so a parse never goes stale."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable

from fedlend.errors import SpecError
from fl.spec import ModelSpec

MAX_ENTRIES = 4096


class SpecCache:
    """digest -> ModelSpec, or the SpecError message of malformed content (also permanent).

    Storage failures are never cached: the content may be fetchable next time."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._items: OrderedDict[bytes, ModelSpec | str] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, digest: bytes, fetch: Callable[[], bytes]) -> ModelSpec:
        """The spec stored under `digest` (fetched and parsed once); SpecError if malformed."""
        with self._lock:
            found = self._items.get(bytes(digest))
            if found is not None:
                self._items.move_to_end(bytes(digest))
        if found is None:
            found = self._parse(fetch())
            self._remember(bytes(digest), found)
        if isinstance(found, str):
            raise SpecError(found)
        return found

    @staticmethod
    def _parse(blob: bytes) -> ModelSpec | str:
        try:
            return ModelSpec.from_json(blob)
        except SpecError as exc:
            return str(exc)

    def _remember(self, digest: bytes, value: ModelSpec | str) -> None:
        with self._lock:
            self._items[digest] = value
            while len(self._items) > self._max:
                self._items.popitem(last=False)


_BY_STORE: weakref.WeakKeyDictionary[object, SpecCache] = weakref.WeakKeyDictionary()
_BY_STORE_LOCK = threading.Lock()


def specs_for(store: object) -> SpecCache:
    """The spec cache that belongs to one store object (an app's store lives as long as the app)."""
    with _BY_STORE_LOCK:
        cache = _BY_STORE.get(store)
        if cache is None:
            cache = _BY_STORE[store] = SpecCache()
        return cache
