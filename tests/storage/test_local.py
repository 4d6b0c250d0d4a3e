"""The embedded store: verified reads, atomic writes that survive a crash, size limits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from fedlend.errors import (
    BlobTooLargeError,
    ContentNotFoundError,
    IntegrityError,
    StorageUnavailableError,
)
from fedlend.storage.cid import cid_for
from fedlend.storage.local import TEMP_PREFIX, LocalStore

ROOT = Path(__file__).resolve().parents[2]

# The child stores a 600 kB blob but, halfway through writing it, announces itself and stalls,
# so the parent can kill it with SIGKILL in the middle of the real put() code path.
CRASHING_WRITER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from fedlend.storage.local import LocalStore

    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, handle):
            self.handle = handle
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            self.handle.close()
        def write(self, data):
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            print("half-written", flush=True)
            time.sleep(60)

    os.fdopen = lambda fd, mode: HalfWriter(real_fdopen(fd, mode))
    LocalStore(Path(sys.argv[1])).put(bytes(range(256)) * 2400)
    """
)
CRASH_BLOB = bytes(range(256)) * 2400


def _block(store: LocalStore, cid: str) -> Path:
    return store.blocks / cid


def test_put_get_round_trip_and_idempotence(local_store: LocalStore) -> None:
    data = os.urandom(200_000)
    cid = local_store.put(data)
    assert cid == cid_for(data)
    assert local_store.put(data) == cid
    assert local_store.get(cid) == data
    assert local_store.has(cid)
    local_store.pin(cid)
    assert [p.name for p in local_store.blocks.iterdir()] == [cid]


def test_missing_content(local_store: LocalStore) -> None:
    cid = cid_for(b"never stored")
    assert not local_store.has(cid)
    with pytest.raises(ContentNotFoundError, match="not in the local store"):
        local_store.get(cid)
    with pytest.raises(ContentNotFoundError, match="cannot pin"):
        local_store.pin(cid)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: bytes([data[0] ^ 0x01]) + data[1:],
        lambda data: data[:-1],
        lambda data: data[: len(data) // 2],
        lambda _data: b"",
        lambda data: data + b"\x00",
    ],
    ids=["flipped-byte", "last-byte-cut", "half-truncated", "emptied", "extended"],
)
def test_tampered_block_on_disk_is_refused(
    local_store: LocalStore, damage: Callable[[bytes], bytes]
) -> None:
    data = os.urandom(10_000)
    cid = local_store.put(data)
    _block(local_store, cid).write_bytes(damage(data))
    with pytest.raises(IntegrityError, match=cid):
        local_store.get(cid)
    assert local_store.put(data) == cid  # putting it again repairs the block
    assert local_store.get(cid) == data


def test_size_limits_on_put_and_get(tmp_path: Path) -> None:
    store = LocalStore(tmp_path, max_blob_bytes=1000)
    assert store.get(store.put(b"x" * 1000)) == b"x" * 1000
    with pytest.raises(BlobTooLargeError, match="1,001 bytes"):
        store.put(b"x" * 1001)
    big = b"y" * 5000  # a block planted by a bigger-limit writer is refused before it is read
    cid = LocalStore(tmp_path).put(big)
    with pytest.raises(BlobTooLargeError, match="5,000 bytes"):
        store.get(cid)


def test_unwritable_location_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(StorageUnavailableError, match="FEDLEND_HOME"):
        LocalStore(blocker / "store")


def test_crash_mid_write_never_serves_a_partial_block(tmp_path: Path) -> None:
    root = tmp_path / "store"
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WRITER, str(root)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"half-written"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    temps = list((root / "blocks").glob(TEMP_PREFIX + "*"))
    assert len(temps) == 1
    assert temps[0].stat().st_size == len(CRASH_BLOB) // 2  # the crash really was mid-write

    store = LocalStore(root)  # a fresh temp file is left alone: a live writer may own it
    cid = cid_for(CRASH_BLOB)
    assert temps[0].exists()
    assert not store.has(cid)
    with pytest.raises(ContentNotFoundError):
        store.get(cid)
    assert store.put(CRASH_BLOB) == cid
    assert store.get(cid) == CRASH_BLOB

    old = time.time() - 2 * 3600
    os.utime(temps[0], (old, old))
    LocalStore(root)  # opening the store sweeps temp files of long-dead writers
    assert not temps[0].exists()
    assert sorted(p.name for p in (root / "blocks").iterdir()) == [cid]


def test_stray_temp_file_is_never_served(local_store: LocalStore) -> None:
    data = b"real content"
    cid = cid_for(data)
    (local_store.blocks / f"{TEMP_PREFIX}{cid}").write_bytes(data[:4])
    assert not local_store.has(cid)
    assert local_store.remove_stale_temp_files(older_than=0) == 1
    assert local_store.put(data) == cid
    assert local_store.get(cid) == data
