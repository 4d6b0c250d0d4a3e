"""Parsed model specs remembered by digest: content-addressed, so a parse never goes stale."""

from __future__ import annotations

from collections.abc import Callable

from fedlend.errors import SpecError
from fedlend.services.content_cache import Lru, PerStore
from fl.spec import ModelSpec

MAX_ENTRIES = 4096


class SpecCache:
    """digest -> ModelSpec, or the SpecError message of malformed content (also permanent).

    Storage failures are never cached: the content may be fetchable next time."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._items: Lru[bytes, ModelSpec | str] = Lru(max_entries)

    def __contains__(self, digest: object) -> bool:
        return isinstance(digest, bytes | bytearray) and bytes(digest) in self._items

    def get(self, digest: bytes, fetch: Callable[[], bytes]) -> ModelSpec:
        """The spec stored under `digest` (fetched and parsed once); SpecError if malformed."""
        found = self._items.find(bytes(digest))
        if found is None:
            found = self._parse(fetch())
            self._items.keep(bytes(digest), found)
        if isinstance(found, str):
            raise SpecError(found)
        return found

    @staticmethod
    def _parse(blob: bytes) -> ModelSpec | str:
        try:
            return ModelSpec.from_json(blob)
        except SpecError as exc:
            return str(exc)


_SPECS = PerStore(SpecCache)


def specs_for(store: object) -> SpecCache:
    """The spec cache that belongs to one store object (an app's store lives as long as the app)."""
    return _SPECS.of(store)
