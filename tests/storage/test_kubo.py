"""The Kubo RPC client against a real js-ipfs node: one raw block per blob, verified reads."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from fedlend.errors import (
    BlobTooLargeError,
    ConfigError,
    ContentNotFoundError,
    IntegrityError,
    StorageUnavailableError,
)
from fedlend.storage.cid import cid_for
from fedlend.storage.kubo import KuboStore
from tests.storage.ipfs_node import IpfsNode

pytestmark = pytest.mark.ipfs
MIB = 1 << 20


def _block_file(node: IpfsNode, data: bytes) -> Path:
    """The node's own on-disk file (flatfs) holding `data`."""
    found = [p for p in (node.repo / "blocks").rglob("*.data") if p.read_bytes() == data]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("size", [0, 1, 262_144, 262_145, MIB], ids=lambda n: f"{n}B")
def test_every_blob_up_to_the_limit_is_one_raw_block(kubo_store: KuboStore, size: int) -> None:
    data = os.urandom(size)
    cid = kubo_store.put(data)
    assert cid == cid_for(data)  # the node's CID is what a 32-byte digest rebuilds
    assert kubo_store.get(cid) == data
    assert kubo_store.has(cid)


def test_pin_and_has(kubo_store: KuboStore) -> None:
    cid = kubo_store.put(b"pin me")
    kubo_store.pin(cid)
    missing = cid_for(b"nobody stored this")
    assert not kubo_store.has(missing)
    with pytest.raises(ContentNotFoundError, match=missing):
        kubo_store.pin(missing)
    with pytest.raises(ContentNotFoundError, match=missing):
        kubo_store.get(missing)


@pytest.mark.parametrize(
    "damage",
    [lambda d: bytes([d[0] ^ 0x01]) + d[1:], lambda d: d[:-7], lambda d: d + b"!"],
    ids=["flipped-byte", "truncated", "extended"],
)
def test_content_tampered_inside_the_node_is_refused(
    ipfs_node: IpfsNode, kubo_store: KuboStore, damage: Callable[[bytes], bytes]
) -> None:
    data = b"weights " + os.urandom(4096)
    cid = kubo_store.put(data)
    _block_file(ipfs_node, data).write_bytes(damage(data))
    with pytest.raises(IntegrityError, match="tampered with or truncated"):
        kubo_store.get(cid)


def test_size_limits_on_put_and_get(ipfs_node: IpfsNode, kubo_store: KuboStore) -> None:
    with pytest.raises(BlobTooLargeError, match="1,048,577 bytes"):
        kubo_store.put(b"z" * (MIB + 1))
    cid = kubo_store.put(b"q" * 50_000)
    small = KuboStore(ipfs_node.url, max_blob_bytes=10_000)
    with pytest.raises(BlobTooLargeError, match="10,000-byte limit"):
        small.get(cid)
    with pytest.raises(BlobTooLargeError):
        small.put(b"q" * 10_001)


def test_limit_above_one_block_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="one raw block"):
        KuboStore("http://127.0.0.1:5001", max_blob_bytes=MIB + 1)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("operation", ["put", "get", "pin", "has"])
def test_node_down_is_unavailable_with_advice(operation: str) -> None:
    store = KuboStore(f"http://127.0.0.1:{_closed_port()}", retries=2, backoff=0.05)
    argument = b"data" if operation == "put" else cid_for(b"data")
    started = time.monotonic()
    with pytest.raises(StorageUnavailableError, match="unset FEDLEND_IPFS_URL"):
        getattr(store, operation)(argument)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("http://127.0.0.1:5001", "http://127.0.0.1:5001"),
        ("http://127.0.0.1:5001/", "http://127.0.0.1:5001"),
        ("http://localhost:5001/api/v0", "http://localhost:5001"),
        ("https://ipfs.example:443/", "https://ipfs.example:443"),
    ],
)
def test_url_forms(url: str, base: str) -> None:
    assert KuboStore(url).url == base


@pytest.mark.parametrize("url", ["", "127.0.0.1:5001", "ftp://host:21", "http://", "/ip4/1.2.3.4"])
def test_bad_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError, match="FEDLEND_IPFS_URL"):
        KuboStore(url)


def test_node_version(kubo_store: KuboStore) -> None:
    assert kubo_store.version() == "0.18.1"  # js-ipfs core of npm ipfs 0.66.1
