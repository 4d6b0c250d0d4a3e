"""Sealed updates: signed with the owner's Ethereum key, encrypted so only the lender can read them.

Keys. The lender's X25519 encryption key is derived from its Ethereum account, so no extra secret
file exists: private = HKDF-SHA256(ikm = the account's 32-byte secp256k1 key, salt = HKDF_SALT,
info = HKDF_INFO). HKDF is one-way, so publishing the X25519 public key (in the model spec) reveals
nothing about the account key; the domain-separation strings keep the derived key from ever
colliding with any other use of the same account key.

Format. blob = SEAL_MAGIC || SealedBox(lender_pk).encrypt(inner), where
inner = INNER_MAGIC || u32be(len(header)) || header JSON || 65-byte signature || payload, and the
signature is EIP-191 (personal_sign) over the text "fedlend sealed update v1\nsha256:<hex>", the
hash being SHA-256 over INNER_MAGIC || u32be(len(header)) || header || payload. The header binds
the update to one model, chain, contract and submitter, so a copied or replayed blob is refused.

A browser wallet signs EIP-712 typed data instead (fedlend/sealing_typed.py): the envelope then
starts with INNER_MAGIC_TYPED, the hash is taken over that magic instead, and the 65 bytes are the
typed-data signature. The lender accepts either, as long as the signer is the on-chain submitter.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Container
from dataclasses import dataclass
from typing import NamedTuple

from eth_account import Account
from eth_account.messages import SignableMessage, encode_defunct
from eth_account.signers.local import LocalAccount
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from fedlend import sealing_typed
from fedlend.errors import SealingError
from fedlend.sealing_header import MAX_HEADER_BYTES, UpdateHeader, same_address
from fedlend.sealing_typed import TypedDataSigner
from fedlend.settings import DEFAULT_MAX_BLOB_BYTES

__all__ = [
    "EncryptionKeypair",
    "OpenedUpdate",
    "UpdateHeader",
    "lender_encryption_keypair",
    "open_inner",
    "open_update",
    "parse_public_key",
    "public_key_text",
    "seal_update",
    "verify_inner",
]

SEAL_MAGIC = b"FLSEAL1\n"
INNER_MAGIC = b"FLUPD1\n"
INNER_MAGIC_TYPED = b"FLUPD2\n"  # same layout; the signature is EIP-712 (sealing_typed)
SIGNATURE_BYTES = 65
KEY_BYTES = 32
SEAL_OVERHEAD = 48  # SealedBox: 32-byte ephemeral public key + 16-byte MAC
HKDF_SALT = b"fedlend/sealing/v1"
HKDF_INFO = b"fedlend lender X25519 encryption key, derived from the Ethereum account key"
_SIGN_PREFIX = "fedlend sealed update v1\nsha256:"


class EncryptionKeypair(NamedTuple):
    """A lender's raw 32-byte X25519 keys; repr() shows only the public half."""

    private: bytes
    public: bytes

    def __repr__(self) -> str:
        return f"EncryptionKeypair(public={public_key_text(self.public)!r})"


@dataclass(frozen=True)
class OpenedUpdate:
    """A sealed update the lender opened and checked: who signed it, for what, and its payload."""

    header: UpdateHeader
    payload: bytes
    signer: str  # checksummed address recovered from the signature (== header.submitter)


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
    return base64.b64encode(_key_bytes(public_key, "lender public key")).decode("ascii")


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
    return _key_bytes(raw, "lender public key")


def seal_update(
    *,
    payload: bytes,
    header: UpdateHeader,
    owner: LocalAccount | TypedDataSigner,
    lender_public_key: bytes,
    max_blob_bytes: int = DEFAULT_MAX_BLOB_BYTES,
) -> bytes:
    """Sign header + payload (a local key: EIP-191; a wallet: EIP-712) and encrypt to the lender."""
    if not same_address(header.submitter, owner.address):
        raise SealingError(
            f"the header names submitter {header.submitter} but the signing account is "
            f"{owner.address}: build the header with submitter=owner.address",
            reason="wrong-signer",
        )
    key = _key_bytes(lender_public_key, "lender public key")
    header_bytes = header.to_json()
    if isinstance(owner, LocalAccount):
        magic = INNER_MAGIC
        signature = bytes(owner.sign_message(_signable(header_bytes, payload)).signature)
    else:
        magic = INNER_MAGIC_TYPED
        content = _content_hash(magic, header_bytes, payload)
        signature = owner.sign_typed_data(sealing_typed.typed_data(header, content))
    if len(signature) != SIGNATURE_BYTES:
        raise SealingError("the wallet returned a malformed signature", reason="bad-signature")
    inner = b"".join([magic, _u32(len(header_bytes)), header_bytes, signature, payload])
    size = len(SEAL_MAGIC) + SEAL_OVERHEAD + len(inner)
    if size > max_blob_bytes:
        raise SealingError(
            f"the sealed update would be {size:,} bytes, over the {max_blob_bytes:,}-byte limit; "
            "use a smaller model",
            reason="too-large",
        )
    return SEAL_MAGIC + bytes(SealedBox(PublicKey(key)).encrypt(inner))


def open_update(
    blob: bytes,
    *,
    lender_private_key: bytes,
    expected_submitter: str,
    expected_model_id: int,
    expected_chain_id: int,
    expected_contract: str,
    max_blob_bytes: int = DEFAULT_MAX_BLOB_BYTES,
    seen_nonces: Container[str] = (),
) -> OpenedUpdate:
    """Decrypt, verify the owner's signature and check the header against the on-chain facts."""
    inner = _decrypt(blob, lender_private_key, max_blob_bytes)
    magic, header_bytes, signature, payload = _split(inner)
    header = UpdateHeader.from_json(header_bytes)
    if magic == INNER_MAGIC_TYPED:
        content = _content_hash(magic, header_bytes, payload)
        signer = sealing_typed.recover(header, content, signature)
    else:
        signer = _recover(header_bytes, payload, signature)
    if not same_address(signer, header.submitter):
        raise SealingError(
            f"the update names submitter {header.submitter} but was signed by {signer}",
            reason="wrong-signer",
        )
    _check_binding(
        header,
        submitter=expected_submitter,
        model_id=expected_model_id,
        chain_id=expected_chain_id,
        contract=expected_contract,
    )
    if header.nonce in seen_nonces:
        raise SealingError(
            f"update nonce {header.nonce} was already seen: a replayed submission",
            reason="replayed",
        )
    return OpenedUpdate(header=header, payload=payload, signer=signer)


def open_inner(
    blob: bytes, *, lender_private_key: bytes, max_blob_bytes: int = DEFAULT_MAX_BLOB_BYTES
) -> tuple[bytes, bytes, bytes]:
    """(header JSON, signature, payload) of a sealed update: what an audit bundle reveals."""
    _magic, header, signature, payload = _split(_decrypt(blob, lender_private_key, max_blob_bytes))
    return header, signature, payload


def verify_inner(header_bytes: bytes, signature: bytes, payload: bytes) -> tuple[UpdateHeader, str]:
    """The header and the address that signed header + payload (SealingError if it is bad)."""
    if len(header_bytes) > MAX_HEADER_BYTES or len(signature) != SIGNATURE_BYTES:
        raise SealingError("the header or signature has the wrong size", reason="malformed")
    header = UpdateHeader.from_json(header_bytes)
    signer = _recover(header_bytes, payload, signature)
    if not same_address(signer, header.submitter):
        raise SealingError(
            f"the update names submitter {header.submitter} but was signed by {signer}",
            reason="wrong-signer",
        )
    return header, signer


def _decrypt(blob: bytes, private_key: bytes, max_blob_bytes: int) -> bytes:
    if len(blob) > max_blob_bytes:
        raise SealingError(
            f"the sealed update is {len(blob):,} bytes, over the {max_blob_bytes:,}-byte limit",
            reason="too-large",
        )
    if not blob.startswith(SEAL_MAGIC):
        raise SealingError("this blob is not a fedlend sealed update", reason="not-sealed")
    box = SealedBox(PrivateKey(_key_bytes(private_key, "lender private key")))
    try:
        return bytes(box.decrypt(blob[len(SEAL_MAGIC) :]))
    except CryptoError as exc:
        raise SealingError(
            "cannot decrypt the update: it was not sealed to this lender's key, or it was "
            "corrupted or truncated",
            reason="undecryptable",
        ) from exc


def _split(inner: bytes) -> tuple[bytes, bytes, bytes, bytes]:
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


def _recover(header_bytes: bytes, payload: bytes, signature: bytes) -> str:
    try:
        return str(Account.recover_message(_signable(header_bytes, payload), signature=signature))
    except Exception as exc:  # eth-keys raises several types for a malformed signature
        raise SealingError(
            f"the update's signature is invalid ({type(exc).__name__})", reason="bad-signature"
        ) from exc


def _check_binding(
    header: UpdateHeader, *, submitter: str, model_id: int, chain_id: int, contract: str
) -> None:
    """The header must name exactly the on-chain submission it arrived with."""
    if not same_address(header.submitter, submitter):
        raise SealingError(
            f"the update was signed by {header.submitter} but submitted on-chain by {submitter}: "
            "a copied blob",
            reason="wrong-submitter",
        )
    checks = [
        ("model", header.model_id == model_id, header.model_id, model_id),
        ("chain", header.chain_id == chain_id, header.chain_id, chain_id),
        ("contract", same_address(header.contract, contract), header.contract, contract),
    ]
    for what, ok, got, expected in checks:
        if not ok:
            raise SealingError(
                f"the update was sealed for {what} {got}, not {what} {expected}: a replayed blob",
                reason=f"wrong-{what}",
            )


def _signable(header_bytes: bytes, payload: bytes) -> SignableMessage:
    digest = _content_hash(INNER_MAGIC, header_bytes, payload)
    return encode_defunct(text=_SIGN_PREFIX + digest.hex())


def _content_hash(magic: bytes, header_bytes: bytes, payload: bytes) -> bytes:
    return hashlib.sha256(magic + _u32(len(header_bytes)) + header_bytes + payload).digest()


def _key_bytes(key: bytes, what: str) -> bytes:
    if not isinstance(key, bytes | bytearray) or len(key) != KEY_BYTES:
        raise SealingError(f"the {what} must be {KEY_BYTES} raw bytes", reason="bad-key")
    return bytes(key)


def _u32(value: int) -> bytes:
    return value.to_bytes(4, "big")
