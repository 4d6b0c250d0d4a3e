"""Content-addressed storage: CIDv1 raw sha2-256 blobs in a local directory or on an IPFS node."""

from fedlend.storage.base import ContentStore
from fedlend.storage.cid import (
    cid_for,
    cid_to_digest,
    digest_to_cid,
    normalize_cid,
    verify_content,
)
from fedlend.storage.factory import open_store
from fedlend.storage.kubo import KuboStore
from fedlend.storage.local import LocalStore

__all__ = [
    "ContentStore",
    "KuboStore",
    "LocalStore",
    "cid_for",
    "cid_to_digest",
    "digest_to_cid",
    "normalize_cid",
    "open_store",
    "verify_content",
]
