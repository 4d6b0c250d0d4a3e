"""The content caches' shared parts: the LRU map's limit and order, one cache per store object."""

from __future__ import annotations

import gc
import hashlib
from pathlib import Path

import pytest

from fedlend.errors import SpecError
from fedlend.services.content_cache import Lru, PerStore
from fedlend.services.spec_cache import SpecCache, specs_for
from fedlend.storage.local import LocalStore


def test_the_least_recently_used_entry_is_dropped_first() -> None:
    lru: Lru[str, int] = Lru(2)
    lru.keep("a", 1)
    lru.keep("b", 2)
    assert lru.find("a") == 1  # "a" is now the most recent
    lru.keep("c", 3)
    assert ("a" in lru, "b" in lru, "c" in lru) == (True, False, True)
    assert lru.find("b") is None


def test_keeping_a_key_again_replaces_its_value_without_growing() -> None:
    lru: Lru[str, int] = Lru(1)
    lru.keep("a", 1)
    lru.keep("a", 2)
    assert lru.find("a") == 2


def test_each_store_gets_its_own_cache_and_it_goes_with_the_store(tmp_path: Path) -> None:
    made: list[SpecCache] = []

    def make() -> SpecCache:
        made.append(SpecCache())
        return made[-1]

    caches = PerStore(make)
    first, second = LocalStore(tmp_path / "a"), LocalStore(tmp_path / "b")
    assert caches.of(first) is caches.of(first)
    assert caches.of(second) is not caches.of(first)
    assert len(made) == 2
    del first
    gc.collect()
    assert len(caches._caches) == 1


def test_a_malformed_spec_is_parsed_once_and_refused_every_time(tmp_path: Path) -> None:
    blob = b"not json"
    digest = hashlib.sha256(blob).digest()
    fetched: list[bytes] = []

    def fetch() -> bytes:
        fetched.append(blob)
        return blob

    cache = specs_for(LocalStore(tmp_path))
    for _ in range(2):
        with pytest.raises(SpecError):
            cache.get(digest, fetch)
    assert len(fetched) == 1
    assert digest in cache
