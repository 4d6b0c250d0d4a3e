"""Sealed updates signed by a wallet with EIP-712 typed data: accepted from the on-chain
submitter, refused when anyone else signed or the signed fields and the header disagree."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account.messages import encode_typed_data

from fedlend.errors import SealingError
from fedlend.sealing import INNER_MAGIC_TYPED, SEAL_MAGIC, seal_update, typed
from fedlend.sealing.typed import KeyTypedSigner
from tests.sealing.test_seal import KEYS, MALLORY, OWNER, PAYLOAD, _header, _open


class _WalletLike:
    """A signer that, like a wallet, is handed the JSON structure; `tamper` edits it first."""

    def __init__(self, account: Any, tamper: str = "") -> None:
        self.account, self.tamper = account, tamper
        self.seen: Any = None

    @property
    def address(self) -> str:
        return str(self.account.address)

    def sign_typed_data(self, typed_data: dict[str, Any]) -> bytes:
        self.seen = typed_data
        data = {**typed_data, "message": dict(typed_data["message"])}
        if self.tamper:
            data["message"][self.tamper] = {"epsilon": "0.1", "modelId": 8}[self.tamper]
        return bytes(self.account.sign_message(encode_typed_data(full_message=data)).signature)


def _seal_typed(signer: Any) -> bytes:
    return seal_update(
        payload=PAYLOAD, header=_header(), owner=signer, lender_public_key=KEYS.public
    )


def test_a_typed_data_signature_by_the_submitter_opens_and_names_the_signer() -> None:
    signer = _WalletLike(OWNER)
    opened = _open(_seal_typed(signer))
    assert opened.signer == OWNER.address
    assert opened.payload == PAYLOAD
    shown = signer.seen["message"]  # what the wallet's confirmation screen lists
    assert shown["modelId"] == 7
    assert shown["epsilon"] == "2.5"
    assert shown["numExamples"] == 4096
    assert signer.seen["domain"]["chainId"] == 31337


def test_the_local_key_signer_makes_the_same_kind_of_envelope() -> None:
    opened = _open(_seal_typed(KeyTypedSigner(OWNER)))
    assert opened.signer == OWNER.address


def test_the_typed_envelope_is_marked_as_such() -> None:
    from nacl.public import PrivateKey, SealedBox

    blob = _seal_typed(KeyTypedSigner(OWNER))
    inner = SealedBox(PrivateKey(KEYS.private)).decrypt(blob[len(SEAL_MAGIC) :])
    assert inner.startswith(INNER_MAGIC_TYPED)


@pytest.mark.parametrize("field", ["epsilon", "modelId"])
def test_a_wallet_signing_other_fields_than_the_header_says_is_refused(field: str) -> None:
    with pytest.raises(SealingError) as info:
        _open(_seal_typed(_WalletLike(OWNER, tamper=field)))
    assert info.value.reason == "wrong-signer"


def test_a_signature_by_someone_else_is_refused() -> None:
    class Impostor(_WalletLike):
        @property
        def address(self) -> str:
            return OWNER.address  # claims to be the owner, signs with Mallory's key

    with pytest.raises(SealingError) as info:
        _open(_seal_typed(Impostor(MALLORY)))
    assert info.value.reason == "wrong-signer"


def test_a_malformed_wallet_signature_is_refused_before_sealing() -> None:
    class Short(_WalletLike):
        def sign_typed_data(self, _typed_data: dict[str, Any]) -> bytes:
            return b"\x01" * 64

    with pytest.raises(SealingError) as info:
        _seal_typed(Short(OWNER))
    assert info.value.reason == "bad-signature"


def test_recover_refuses_garbage_with_a_sealing_error() -> None:
    with pytest.raises(SealingError) as info:
        typed.recover(_header(), b"\x00" * 32, b"\xff" * 65)
    assert info.value.reason == "bad-signature"


def test_the_content_hash_must_be_32_bytes() -> None:
    with pytest.raises(SealingError):
        typed.typed_data(_header(), b"short")


def test_recovery_gives_the_signing_address() -> None:
    header = _header()
    data = typed.typed_data(header, b"\x11" * 32)
    signature = KeyTypedSigner(OWNER).sign_typed_data(data)
    assert typed.recover(header, b"\x11" * 32, signature) == OWNER.address
    assert typed.recover(header, b"\x12" * 32, signature) != OWNER.address
