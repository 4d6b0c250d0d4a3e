"""open_store: an IPFS node if FEDLEND_IPFS_URL is set, else the embedded local store."""

from __future__ import annotations

from fedlend.settings import Settings
from fedlend.storage.base import ContentStore
from fedlend.storage.kubo import KuboStore
from fedlend.storage.local import LocalStore


def open_store(settings: Settings) -> ContentStore:
    """A KuboStore on settings.ipfs_url, or the embedded LocalStore in settings.store_dir."""
    if settings.ipfs_url:
        return KuboStore(settings.ipfs_url, max_blob_bytes=settings.max_blob_bytes)
    return LocalStore(settings.store_dir, max_blob_bytes=settings.max_blob_bytes)
