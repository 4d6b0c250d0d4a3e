"""The lender's X25519 encryption key, derived from its Ethereum account key; as base64 text.

Derived from the account, so no extra secret file exists: private = HKDF-SHA256(ikm = the
account's 32-byte secp256k1 key, salt = HKDF_SALT, info = HKDF_INFO). HKDF is one-way, so
publishing the X25519 public key (in the model spec) reveals nothing about the account key; the
domain-separation strings keep the derived key from ever colliding with any other use of the
same account key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import NamedTuple

from eth_account.signers.local import LocalAccount
from nacl.public import PrivateKey

from fedlend.errors import SealingError

KEY_BYTES = 32
HKDF_SALT = b"fedlend/sealing/v1"
HKDF_INFO = b"fedlend lender X25519 encryption key, derived from the Ethereum account key"


class EncryptionKeypair(NamedTuple):
    """A lender's raw 32-byte X25519 keys; repr() shows only the public half."""

    private: bytes
    public: bytes

    def __repr__(self) -> str:
        return f"EncryptionKeypair(public={public_key_text(self.public)!r})"


def hkdf_sha256(ikm: bytes, *, salt: bytes, info: bytes, length: int = KEY_BYTES) -> bytes:
    """HKDF (RFC 5869) with SHA-256: extract, then expand to `length` bytes."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    output, block = b"", b""
    for counter in range(1, -(-length // 32) + 1):
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        output += block
    return output[:length]


def lender_encryption_keypair(account: LocalAccount) -> EncryptionKeypair:
    """The lender's X25519 keypair, derived deterministically from its Ethereum account key."""
    seed = hkdf_sha256(bytes(account.key), salt=HKDF_SALT, info=HKDF_INFO)
    private = PrivateKey(seed)
    return EncryptionKeypair(private=bytes(private), public=bytes(private.public_key))


def public_key_text(public_key: bytes) -> str:
    """A public key as standard base64 text (44 characters) for JSON model specs."""
    return base64.b64encode(key_bytes(public_key, "lender public key")).decode("ascii")


def parse_public_key(text: str) -> bytes:
    """The 32 raw bytes of a public key written by public_key_text."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError, AttributeError) as exc:
        raise SealingError(
            f"the lender's encryption key {text!r:.60} is not base64; copy it again from the "
            "model spec",
            reason="bad-key",
        ) from exc
    return key_bytes(raw, "lender public key")


def key_bytes(key: bytes, what: str) -> bytes:
    """`key` as exactly KEY_BYTES raw bytes; SealingError naming `what` otherwise."""
    if not isinstance(key, bytes | bytearray) or len(key) != KEY_BYTES:
        raise SealingError(f"the {what} must be {KEY_BYTES} raw bytes", reason="bad-key")
    return bytes(key)
