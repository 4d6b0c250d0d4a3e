"""The bytes of a sealed update: SEAL_MAGIC || SealedBox(inner), and the inner envelope.

inner = magic || u32be(len(header)) || header JSON || 65-byte signature || payload, where magic
says how the owner signed (INNER_MAGIC: EIP-191 text, INNER_MAGIC_TYPED: EIP-712 typed data).
"""

from __future__ import annotations

import hashlib

from fedlend.errors import SealingError
from fedlend.sealing.header import MAX_HEADER_BYTES

SEAL_MAGIC = b"FLSEAL1\n"
INNER_MAGIC = b"FLUPD1\n"
INNER_MAGIC_TYPED = b"FLUPD2\n"  # same layout; the signature is EIP-712 (sealing.typed)
SIGNATURE_BYTES = 65
SEAL_OVERHEAD = 48  # SealedBox: 32-byte ephemeral public key + 16-byte MAC
LAYOUTS = {"eip191": INNER_MAGIC, "eip712": INNER_MAGIC_TYPED}  # how the owner signed


def join_inner(magic: bytes, header_bytes: bytes, signature: bytes, payload: bytes) -> bytes:
    """The inner envelope, before encryption."""
    return b"".join([magic, _u32(len(header_bytes)), header_bytes, signature, payload])


def split_inner(inner: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    """(magic, header JSON, signature, payload) from the decrypted envelope, checking lengths."""
    fixed = len(INNER_MAGIC) + 4
    magic = inner[: len(INNER_MAGIC)]
    if magic not in (INNER_MAGIC, INNER_MAGIC_TYPED) or len(inner) < fixed:
        raise SealingError("the decrypted update has an unknown layout", reason="malformed")
    header_len = int.from_bytes(inner[len(INNER_MAGIC) : fixed], "big")
    if header_len > MAX_HEADER_BYTES:
        raise SealingError(
            f"the update header is {header_len:,} bytes, over the {MAX_HEADER_BYTES:,}-byte limit",
            reason="header-too-large",
        )
    if len(inner) < fixed + header_len + SIGNATURE_BYTES:
        raise SealingError("the decrypted update is truncated", reason="malformed")
    header_end = fixed + header_len
    signature_end = header_end + SIGNATURE_BYTES
    return magic, inner[fixed:header_end], inner[header_end:signature_end], inner[signature_end:]


def content_hash(magic: bytes, header_bytes: bytes, payload: bytes) -> bytes:
    """SHA-256 over magic, header length, header and payload: what every signature covers."""
    return hashlib.sha256(magic + _u32(len(header_bytes)) + header_bytes + payload).digest()


def _u32(value: int) -> bytes:
    return value.to_bytes(4, "big")
