"""Print storage and sealing figures: put/get latency per backend, seal/open cost, blob overhead.

Run: .venv/bin/python scripts/bench_storage.py [--ipfs-url http://127.0.0.1:5001] [--size BYTES]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from eth_account import Account

from fedlend.sealing import (
    Submission,
    UpdateClaims,
    UpdateHeader,
    UpdateTarget,
    lender_encryption_keypair,
    open_update,
    seal_update,
)
from fedlend.settings import DEFAULT_MAX_BLOB_BYTES
from fedlend.storage.base import ContentStore
from fedlend.storage.kubo import KuboStore
from fedlend.storage.local import LocalStore


def _median_ms(action: Callable[[], object], *, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def bench_store(name: str, store: ContentStore, size: int, *, repeat: int) -> None:
    """Median put (fresh bytes each time) and verified get of one `size`-byte blob."""
    put_ms = _median_ms(lambda: store.put(os.urandom(size)), repeat=repeat)
    cid = store.put(os.urandom(size))
    get_ms = _median_ms(lambda: store.get(cid), repeat=repeat)
    print(f"{name:6s} put {size:>9,} B: {put_ms:7.2f} ms   get+verify: {get_ms:7.2f} ms")


def bench_sealing(size: int, *, repeat: int) -> None:
    """Median seal and open of a `size`-byte payload, and the bytes sealing adds."""
    lender, owner = Account.create(), Account.create()
    keys = lender_encryption_keypair(lender)
    contract = "0x" + "ab" * 20
    header = UpdateHeader.create(
        UpdateTarget(1, b"\x00" * 32, 31337, contract, owner.address), UpdateClaims(3.0, 1e-5, 5000)
    )
    payload = os.urandom(min(size, DEFAULT_MAX_BLOB_BYTES - 1024))  # room for the envelope

    def seal() -> bytes:
        return seal_update(
            payload=payload, header=header, owner=owner, lender_public_key=keys.public
        )

    blob = seal()
    seal_ms = _median_ms(seal, repeat=repeat)
    open_ms = _median_ms(
        lambda: open_update(
            blob,
            lender_private_key=keys.private,
            expected=Submission(owner.address, 1, 31337, contract),
        ),
        repeat=repeat,
    )
    print(f"seal   {len(payload):>9,} B: {seal_ms:7.2f} ms   open+verify: {open_ms:7.2f} ms")
    print(f"sealed blob overhead: {len(blob) - len(payload)} B (header {len(header.to_json())} B)")


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and print every figure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ipfs-url", default=os.environ.get("FEDLEND_IPFS_URL"))
    parser.add_argument("--size", type=int, default=900_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        bench_store("local", LocalStore(Path(tmp)), args.size, repeat=args.repeat)
    if args.ipfs_url:
        bench_store("ipfs", KuboStore(args.ipfs_url), args.size, repeat=args.repeat)
    bench_sealing(args.size, repeat=args.repeat)


if __name__ == "__main__":
    main()
