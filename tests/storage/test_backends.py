"""Both backends behind one interface: same CIDs for the same bytes, same refusals, the factory."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from fedlend.errors import ContentNotFoundError, InvalidCidError, StorageUnavailableError
from fedlend.settings import Settings
from fedlend.storage import ContentStore, KuboStore, LocalStore, open_store
from fedlend.storage.cid import cid_for, cid_to_digest, digest_to_cid
from tests.storage.ipfs_node import IpfsNode


@pytest.mark.parametrize("size", [0, 5, 100_000, 1 << 20])
def test_round_trip(store: ContentStore, size: int) -> None:
    data = os.urandom(size)
    cid = store.put(data)
    assert store.has(cid)
    store.pin(cid)
    assert store.get(cid) == data
    assert store.get(digest_to_cid(cid_to_digest(cid))) == data  # as rebuilt from the chain


def test_refusals_are_the_same(store: ContentStore) -> None:
    with pytest.raises(InvalidCidError):
        store.get("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG")  # CIDv0 dag-pb
    missing = cid_for(b"absent " + os.urandom(8))
    assert not store.has(missing)
    with pytest.raises(ContentNotFoundError):
        store.get(missing)


@pytest.mark.ipfs
def test_same_cids_from_both_backends(ipfs_node: IpfsNode, tmp_path: Path) -> None:
    local = LocalStore(tmp_path)
    kubo = KuboStore(ipfs_node.url)
    blobs = [b"", b"x", os.urandom(70_000), os.urandom(1 << 20), "épargne".encode()]
    for data in blobs:
        cid = kubo.put(data)
        assert local.put(data) == cid
        assert local.get(cid) == kubo.get(cid) == data


@pytest.mark.ipfs
def test_content_moves_between_backends_by_cid(ipfs_node: IpfsNode, tmp_path: Path) -> None:
    data = os.urandom(3000)
    cid = LocalStore(tmp_path).put(data)
    kubo = KuboStore(ipfs_node.url)
    assert kubo.put(LocalStore(tmp_path).get(cid)) == cid
    assert kubo.get(cid) == data


def test_factory_defaults_to_the_local_store(tmp_path: Path) -> None:
    store = open_store(Settings.from_env({"FEDLEND_HOME": str(tmp_path)}))
    assert isinstance(store, LocalStore)
    assert isinstance(store, ContentStore)
    assert store.root == tmp_path / "store"
    assert store.get(store.put(b"hi")) == b"hi"


@pytest.mark.ipfs
def test_factory_uses_the_node_when_configured(ipfs_node: IpfsNode, tmp_path: Path) -> None:
    env = {"FEDLEND_HOME": str(tmp_path), "FEDLEND_IPFS_URL": ipfs_node.url}
    store = open_store(Settings.from_env(env))
    assert isinstance(store, KuboStore)
    assert isinstance(store, ContentStore)
    assert store.get(store.put(b"via settings")) == b"via settings"
    assert not (tmp_path / "store").exists()


def test_factory_with_a_dead_node_says_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings(home=tmp_path, ipfs_url=f"http://127.0.0.1:{port}")
    store = open_store(settings)
    with pytest.raises(StorageUnavailableError, match="unset FEDLEND_IPFS_URL"):
        store.put(b"x")


def test_factory_passes_the_size_limit(tmp_path: Path) -> None:
    store = open_store(Settings(home=tmp_path, max_blob_bytes=4096))
    assert store.max_blob_bytes == 4096
