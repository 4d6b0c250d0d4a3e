"""The lender's update-decryption key in wallet mode, derived from a wallet signature.

What is derived from what. The wallet signs one fixed message (KEY_MESSAGE, below) with
personal_sign. Wallets sign deterministically (RFC 6979), so the same account always gives the
same 65-byte signature, and nobody without the account's key can produce it. The X25519 private
key is HKDF-SHA256(ikm = that signature, salt = KEY_SALT, info = KEY_INFO); its public half goes
into every bounty's spec, so owners encrypt to it. The signature and the key are kept in the app's
memory for the signed-in session only: never on disk, in a cookie or in a page.

Switching account ends the session (the key is dropped; the new account derives its own). The
message names no chain, so the key is the same on every chain; switching chain ends the session
too (it was signed in for one chain) and the next sign-in derives the same key again. A wallet
that does not sign deterministically would give another key: evaluation then refuses to start
(the derived public key must equal the one the bounty published) instead of rejecting updates.
"""

from __future__ import annotations

from eth_account import Account
from eth_account.messages import encode_defunct

from fedlend.errors import SignInError
from fedlend.sealing import EncryptionKeypair, hkdf_sha256
from fedlend.sealing.header import same_address

KEY_MESSAGE = (
    "fedlend: unlock the key that decrypts model updates sent to your bounties.\n\n"
    "Signing this fixed message sends no transaction and costs nothing. The lender app on "
    "this computer derives your update-decryption key from the signature and keeps it in "
    "memory until you sign out. Sign it only in a fedlend lender app you run yourself."
)
KEY_SALT = b"fedlend/wallet-key/v1"
KEY_INFO = b"fedlend lender X25519 encryption key, derived from a wallet signature"


def keypair_from_signature(address: str, signature: str) -> EncryptionKeypair:
    """The X25519 keypair for `address`, after checking `address` made the signature."""
    raw = _signature_bytes(signature)
    try:
        signer = Account.recover_message(encode_defunct(text=KEY_MESSAGE), signature=raw)
    except Exception as exc:  # eth-keys raises several types for a malformed signature
        raise SignInError("the key signature is malformed: sign the message again") from exc
    if not same_address(signer, address):
        raise SignInError(
            f"the key message was signed by {signer}, not by the signed-in account {address}: "
            "sign it with the account you signed in with"
        )
    from nacl.public import PrivateKey

    private = PrivateKey(hkdf_sha256(raw, salt=KEY_SALT, info=KEY_INFO))
    return EncryptionKeypair(private=bytes(private), public=bytes(private.public_key))


def _signature_bytes(signature: str) -> bytes:
    try:
        raw = bytes.fromhex(signature.removeprefix("0x"))
    except (ValueError, AttributeError) as exc:
        raise SignInError("the key signature is not hex: sign the message again") from exc
    if len(raw) != 65:
        raise SignInError("the key signature must be 65 bytes: sign the message again")
    return raw
