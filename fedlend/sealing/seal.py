"""Seal and open updates: signed with the owner's Ethereum key, encrypted so only the lender reads.

Format. blob = SEAL_MAGIC || SealedBox(lender_pk).encrypt(inner), where
inner = INNER_MAGIC || u32be(len(header)) || header JSON || 65-byte signature || payload, and the
signature is EIP-191 (personal_sign) over the text "fedlend sealed update v1\nsha256:<hex>", the
hash being SHA-256 over INNER_MAGIC || u32be(len(header)) || header || payload. The header binds
the update to one model, chain, contract and submitter, so a copied or replayed blob is refused.

A browser wallet signs EIP-712 typed data instead (fedlend/sealing/typed.py): the envelope then
starts with INNER_MAGIC_TYPED, the hash is taken over that magic instead, and the 65 bytes are the
typed-data signature. The lender accepts either, as long as the signer is the on-chain submitter.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass

from eth_account import Account
from eth_account.messages import SignableMessage, encode_defunct
from eth_account.signers.local import LocalAccount
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from fedlend.errors import SealingError
from fedlend.sealing import typed
from fedlend.sealing.header import MAX_HEADER_BYTES, UpdateHeader, same_address
from fedlend.sealing.keys import key_bytes
from fedlend.sealing.layout import (
    INNER_MAGIC,
    INNER_MAGIC_TYPED,
    LAYOUTS,
    SEAL_MAGIC,
    SEAL_OVERHEAD,
    SIGNATURE_BYTES,
    content_hash,
    join_inner,
    split_inner,
)
from fedlend.sealing.typed import TypedDataSigner
from fedlend.settings import DEFAULT_MAX_BLOB_BYTES

_SIGN_PREFIX = "fedlend sealed update v1\nsha256:"


@dataclass(frozen=True)
class OpenedUpdate:
    """A sealed update the lender opened and checked: who signed it, for what, and its payload."""

    header: UpdateHeader
    payload: bytes
    signer: str  # checksummed address recovered from the signature (== header.submitter)


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
    key = key_bytes(lender_public_key, "lender public key")
    header_bytes = header.to_json()
    if isinstance(owner, LocalAccount):
        magic = INNER_MAGIC
        signature = bytes(owner.sign_message(_signable(header_bytes, payload)).signature)
    else:
        magic = INNER_MAGIC_TYPED
        content = content_hash(magic, header_bytes, payload)
        signature = owner.sign_typed_data(typed.typed_data(header, content))
    if len(signature) != SIGNATURE_BYTES:
        raise SealingError("the wallet returned a malformed signature", reason="bad-signature")
    inner = join_inner(magic, header_bytes, signature, payload)
    size = len(SEAL_MAGIC) + SEAL_OVERHEAD + len(inner)
    if size > max_blob_bytes:
        raise SealingError(
            f"the sealed update would be {size:,} bytes, over the {max_blob_bytes:,}-byte limit; "
            "use a smaller model",
            reason="too-large",
        )
    return SEAL_MAGIC + bytes(SealedBox(PublicKey(key)).encrypt(inner))


@dataclass(frozen=True)
class Submission:
    """The on-chain facts a sealed update must match: who submitted it, to which model, where."""

    submitter: str
    model_id: int
    chain_id: int
    contract: str


def open_update(
    blob: bytes,
    *,
    lender_private_key: bytes,
    expected: Submission,
    max_blob_bytes: int = DEFAULT_MAX_BLOB_BYTES,
    seen_nonces: Container[str] = (),
) -> OpenedUpdate:
    """Decrypt, verify the owner's signature and check the header against the on-chain facts."""
    inner = _decrypt(blob, lender_private_key, max_blob_bytes)
    magic, header_bytes, signature, payload = split_inner(inner)
    header, signer = _verified(magic, header_bytes, signature, payload)
    _check_binding(header, expected)
    if header.nonce in seen_nonces:
        raise SealingError(
            f"update nonce {header.nonce} was already seen: a replayed submission",
            reason="replayed",
        )
    return OpenedUpdate(header=header, payload=payload, signer=signer)


def open_inner(
    blob: bytes, *, lender_private_key: bytes, max_blob_bytes: int = DEFAULT_MAX_BLOB_BYTES
) -> tuple[str, bytes, bytes, bytes]:
    """(layout, header JSON, signature, payload) of a sealed update: what an audit bundle reveals.

    The layout says how the owner signed: "eip191" (a key) or "eip712" (a wallet's typed data)."""
    magic, header, signature, payload = split_inner(
        _decrypt(blob, lender_private_key, max_blob_bytes)
    )
    layout = "eip712" if magic == INNER_MAGIC_TYPED else "eip191"
    return layout, header, signature, payload


def verify_inner(
    header_bytes: bytes, signature: bytes, payload: bytes, *, layout: str = "eip191"
) -> tuple[UpdateHeader, str]:
    """The header and the address that signed header + payload (SealingError if it is bad)."""
    if len(header_bytes) > MAX_HEADER_BYTES or len(signature) != SIGNATURE_BYTES:
        raise SealingError("the header or signature has the wrong size", reason="malformed")
    if layout not in LAYOUTS:
        raise SealingError(f"unknown signature layout {layout!r}", reason="malformed")
    return _verified(LAYOUTS[layout], header_bytes, signature, payload)


def _verified(
    magic: bytes, header_bytes: bytes, signature: bytes, payload: bytes
) -> tuple[UpdateHeader, str]:
    """The parsed header and its signer, checked to be the submitter it names."""
    header = UpdateHeader.from_json(header_bytes)
    if magic == INNER_MAGIC_TYPED:
        signer = typed.recover(header, content_hash(magic, header_bytes, payload), signature)
    else:
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
    box = SealedBox(PrivateKey(key_bytes(private_key, "lender private key")))
    try:
        return bytes(box.decrypt(blob[len(SEAL_MAGIC) :]))
    except CryptoError as exc:
        raise SealingError(
            "cannot decrypt the update: it was not sealed to this lender's key, or it was "
            "corrupted or truncated",
            reason="undecryptable",
        ) from exc


def _recover(header_bytes: bytes, payload: bytes, signature: bytes) -> str:
    try:
        return str(Account.recover_message(_signable(header_bytes, payload), signature=signature))
    except Exception as exc:  # eth-keys raises several types for a malformed signature
        raise SealingError(
            f"the update's signature is invalid ({type(exc).__name__})", reason="bad-signature"
        ) from exc


def _check_binding(header: UpdateHeader, expected: Submission) -> None:
    """The header must name exactly the on-chain submission it arrived with."""
    submitter, model_id, chain_id, contract = (
        expected.submitter,
        expected.model_id,
        expected.chain_id,
        expected.contract,
    )
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
    for what, ok, got, wanted in checks:
        if not ok:
            raise SealingError(
                f"the update was sealed for {what} {got}, not {what} {wanted}: a replayed blob",
                reason=f"wrong-{what}",
            )


def _signable(header_bytes: bytes, payload: bytes) -> SignableMessage:
    digest = content_hash(INNER_MAGIC, header_bytes, payload)
    return encode_defunct(text=_SIGN_PREFIX + digest.hex())
