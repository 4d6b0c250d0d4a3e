"""Sealed updates: signed by the owner, encrypted to the lender (layout, header, typed, keys, seal).

Callers import from here; the modules are `header` (the signed header), `typed` (EIP-712 for
browser wallets), `keys` (the lender's X25519 key), `layout` (the envelope bytes) and `seal`
(seal and open).
"""

from fedlend.sealing.header import (
    MAX_HEADER_BYTES,
    UpdateClaims,
    UpdateHeader,
    UpdateTarget,
    same_address,
)
from fedlend.sealing.keys import (
    EncryptionKeypair,
    hkdf_sha256,
    lender_encryption_keypair,
    parse_public_key,
    public_key_text,
)
from fedlend.sealing.layout import INNER_MAGIC, INNER_MAGIC_TYPED, LAYOUTS, SEAL_MAGIC
from fedlend.sealing.seal import (
    OpenedUpdate,
    Submission,
    open_inner,
    open_update,
    seal_update,
    verify_inner,
)
from fedlend.sealing.typed import KeyTypedSigner, TypedDataSigner

__all__ = [
    "INNER_MAGIC",
    "INNER_MAGIC_TYPED",
    "LAYOUTS",
    "MAX_HEADER_BYTES",
    "SEAL_MAGIC",
    "EncryptionKeypair",
    "KeyTypedSigner",
    "OpenedUpdate",
    "Submission",
    "TypedDataSigner",
    "UpdateClaims",
    "UpdateHeader",
    "UpdateTarget",
    "hkdf_sha256",
    "lender_encryption_keypair",
    "open_inner",
    "open_update",
    "parse_public_key",
    "public_key_text",
    "same_address",
    "seal_update",
    "verify_inner",
]
