"""The weights cache: one parse per digest, private copies per caller, failures never kept."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
import torch

from fedlend.errors import FedlendError
from fedlend.services.weights_cache import WeightsCache
from fedlend.settings import SHIPPED_LOANS
from fl.data import load_loans
from fl.features import build_spec
from fl.models import init_weights
from fl.spec import ModelSpec
from fl.weights import weights_to_bytes


@pytest.fixture(scope="module")
def spec() -> ModelSpec:
    """A spec deduced from 500 shipped loans."""
    return build_spec(load_loans(SHIPPED_LOANS).iloc[:500])


def test_parsed_once_and_copies_are_private(spec: ModelSpec) -> None:
    blob = weights_to_bytes(init_weights(spec, seed=3), spec=spec)
    digest = hashlib.sha256(blob).digest()
    fetches: list[int] = []
    cache = WeightsCache()

    def fetch() -> bytes:
        fetches.append(1)
        return blob

    first = cache.get(spec, digest, fetch)
    original = {k: v.clone() for k, v in first.items()}
    for tensor in first.values():
        tensor.add_(1.0)  # a caller changing its copy must not change the cache
    second = cache.get(spec, digest, fetch)
    assert len(fetches) == 1
    assert all(torch.equal(second[k], original[k]) for k in original)


@pytest.mark.parametrize("blob", [b"", b"not safetensors", b"\xff" * 64], ids=repr)
def test_a_failure_is_raised_every_time(spec: ModelSpec, blob: bytes) -> None:
    cache = WeightsCache()
    calls: list[int] = []

    def fetch() -> bytes:
        calls.append(1)
        return blob

    for _ in range(2):
        with pytest.raises(FedlendError):
            cache.get(spec, hashlib.sha256(blob).digest(), fetch)
    assert len(calls) == 2


def test_bounded(spec: ModelSpec) -> None:
    cache = WeightsCache(max_entries=2)
    base = init_weights(spec, seed=0)
    blobs = [weights_to_bytes({k: v + s for k, v in base.items()}, spec=spec) for s in range(3)]
    calls: list[int] = []

    def fetch(blob: bytes) -> Callable[[], bytes]:
        def read() -> bytes:
            calls.append(1)
            return blob

        return read

    for blob in blobs + blobs[:1]:
        cache.get(spec, hashlib.sha256(blob).digest(), fetch(blob))
    assert len(calls) == 4  # the oldest was dropped, so it is fetched again
