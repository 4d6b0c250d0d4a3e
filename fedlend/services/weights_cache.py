"""Parsed weights remembered by digest: content-addressed, so a parse never goes stale."""

from __future__ import annotations

from collections.abc import Callable

import torch

from fedlend.services.content_cache import Lru, PerStore
from fedlend.services.verified import weights_from_blob
from fl.spec import ModelSpec

MAX_ENTRIES = 64


class WeightsCache:
    """(spec digest, weights digest) -> checked tensors; every caller gets its own copies.

    Only successful parses are kept: a failure (storage or format) is raised every time."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._items: Lru[tuple[bytes, bytes], dict[str, torch.Tensor]] = Lru(max_entries)

    def get(
        self, spec: ModelSpec, digest: bytes, fetch: Callable[[], bytes]
    ) -> dict[str, torch.Tensor]:
        """The weights stored under `digest` checked against `spec` (fetched and parsed once)."""
        key = (spec.digest, bytes(digest))
        found = self._items.find(key)
        if found is None:
            found = weights_from_blob(fetch(), spec)  # packed words for a verified model
            self._items.keep(key, found)
        return {name: tensor.clone() for name, tensor in found.items()}


_WEIGHTS = PerStore(WeightsCache)


def weights_for(store: object) -> WeightsCache:
    """The weights cache that belongs to one store object (it lives as long as the store)."""
    return _WEIGHTS.of(store)
