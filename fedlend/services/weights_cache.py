"""Parsed weights remembered by digest: content-addressed, so a parse never goes stale."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable

import torch

from fl.spec import ModelSpec
from fl.weights import weights_from_bytes

MAX_ENTRIES = 64


class WeightsCache:
    """(spec digest, weights digest) -> checked tensors; every caller gets its own copies.

    Only successful parses are kept: a failure (storage or format) is raised every time."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._items: OrderedDict[tuple[bytes, bytes], dict[str, torch.Tensor]] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def get(
        self, spec: ModelSpec, digest: bytes, fetch: Callable[[], bytes]
    ) -> dict[str, torch.Tensor]:
        """The weights stored under `digest` checked against `spec` (fetched and parsed once)."""
        key = (spec.digest, bytes(digest))
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
        if found is None:
            found = weights_from_bytes(fetch(), spec)
            with self._lock:
                self._items[key] = found
                while len(self._items) > self._max:
                    self._items.popitem(last=False)
        return {name: tensor.clone() for name, tensor in found.items()}


_BY_STORE: weakref.WeakKeyDictionary[object, WeightsCache] = weakref.WeakKeyDictionary()
_BY_STORE_LOCK = threading.Lock()


def weights_for(store: object) -> WeightsCache:
    """The weights cache that belongs to one store object (it lives as long as the store)."""
    with _BY_STORE_LOCK:
        cache = _BY_STORE.get(store)
        if cache is None:
            cache = _BY_STORE[store] = WeightsCache()
        return cache
