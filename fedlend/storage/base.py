"""The ContentStore interface every backend implements, plus the size check they share."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from fedlend.errors import BlobTooLargeError


@runtime_checkable
class ContentStore(Protocol):
    """Content addressed by CIDv1 raw sha2-256; every `get` is verified against its CID."""

    @property
    def max_blob_bytes(self) -> int:
        """The largest blob this store accepts, in bytes."""
        ...

    def put(self, data: bytes) -> str:
        """Store `data` as one raw block and return its CID (base32 "bafkrei...")."""
        ...

    def get(self, cid: str) -> bytes:
        """The bytes stored under `cid`, verified to hash to it (IntegrityError otherwise)."""
        ...

    def pin(self, cid: str) -> None:
        """Keep `cid` from garbage collection (ContentNotFoundError if it is not stored)."""
        ...

    def has(self, cid: str) -> bool:
        """True if this store holds `cid` itself, without asking any network."""
        ...


def check_size(size: int, limit: int, *, what: str) -> None:
    """Raise BlobTooLargeError if a blob of `size` bytes exceeds `limit`."""
    if size > limit:
        raise BlobTooLargeError(
            f"{what} is {size:,} bytes, over the {limit:,}-byte limit "
            "(FEDLEND_MAX_BLOB_BYTES); make the blob smaller"
        )
