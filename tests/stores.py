"""Store fixtures (registered in tests/conftest.py): a real js-ipfs node, each backend's store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fedlend.storage import ContentStore, KuboStore, LocalStore
from tests.ci import missing
from tests.storage.ipfs_node import INSTALL_HINT, IpfsNode, IpfsNodeError, installed, start_node


@pytest.fixture(scope="session")
def ipfs_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IpfsNode]:
    """A js-ipfs daemon on loopback: skipped if absent (fails in CI), fails if it cannot start."""
    if not installed():
        missing(f"js-ipfs is not installed: {INSTALL_HINT}")
    workdir = tmp_path_factory.mktemp("ipfs")
    try:
        node = start_node(workdir)
    except IpfsNodeError as exc:
        pytest.fail(f"the js-ipfs test node did not start: {exc}")
    yield node
    node.stop()


@pytest.fixture
def kubo_store(ipfs_node: IpfsNode) -> KuboStore:
    """A KuboStore on the test node, with short node-side timeouts for missing content."""
    return KuboStore(ipfs_node.url, timeout=2.0, has_timeout=1.0)


@pytest.fixture
def local_store(tmp_path: Path) -> LocalStore:
    """An empty embedded store in a fresh directory."""
    return LocalStore(tmp_path / "store")


@pytest.fixture(params=["local", pytest.param("kubo", marks=pytest.mark.ipfs)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ContentStore:
    """Each backend in turn, so one test checks both."""
    if request.param == "kubo":
        return KuboStore(request.getfixturevalue("ipfs_node").url, timeout=2.0, has_timeout=1.0)
    return LocalStore(tmp_path / "store")
