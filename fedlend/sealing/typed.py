"""EIP-712 typed data for a sealed update, so a browser wallet shows what the owner signs.

A wallet (eth_signTypedData_v4) signs this structure instead of the EIP-191 text of sealing v1:

    domain  {name: "fedlend", version: "1", chainId: header.chain_id,
             verifyingContract: header.contract}
    SealedUpdate {modelId uint256, submitter address, baseWeights bytes32, epsilon string,
                  numExamples uint256, contentHash bytes32}

contentHash is the same SHA-256 that sealing v1 signs (over the envelope magic, the header length,
the header JSON and the payload), so the signature still covers every byte; the other fields are
copied from the header so the wallet's confirmation screen shows the model, the ε spent and the
number of loans in plain sight. The lender rebuilds the structure from the header it decrypted and
recovers the signer with eth_account, exactly as for v1.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data

from fedlend.errors import SealingError
from fedlend.sealing.header import UpdateHeader

DOMAIN_NAME = "fedlend"
DOMAIN_VERSION = "1"
PRIMARY_TYPE = "SealedUpdate"
TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    PRIMARY_TYPE: [
        {"name": "modelId", "type": "uint256"},
        {"name": "submitter", "type": "address"},
        {"name": "baseWeights", "type": "bytes32"},
        {"name": "epsilon", "type": "string"},
        {"name": "numExamples", "type": "uint256"},
        {"name": "contentHash", "type": "bytes32"},
    ],
}


@runtime_checkable
class TypedDataSigner(Protocol):
    """Anything that signs EIP-712 typed data for an address (a browser wallet, a test key)."""

    @property
    def address(self) -> str: ...

    def sign_typed_data(self, typed_data: dict[str, Any]) -> bytes: ...


def typed_data(header: UpdateHeader, content_hash: bytes) -> dict[str, Any]:
    """The JSON-ready EIP-712 structure for one sealed update (what eth_signTypedData_v4 takes)."""
    if len(content_hash) != 32:
        raise SealingError("the content hash must be 32 bytes", reason="malformed")
    return {
        "types": TYPES,
        "primaryType": PRIMARY_TYPE,
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": header.chain_id,
            "verifyingContract": header.contract,
        },
        "message": {
            "modelId": header.model_id,
            "submitter": header.submitter,
            "baseWeights": header.base_digest,
            "epsilon": format(header.epsilon, ".6g"),
            "numExamples": header.n_examples,
            "contentHash": "0x" + content_hash.hex(),
        },
    }


def signable(header: UpdateHeader, content_hash: bytes) -> SignableMessage:
    """The EIP-712 message eth_account signs and recovers."""
    return encode_typed_data(full_message=typed_data(header, content_hash))


def recover(header: UpdateHeader, content_hash: bytes, signature: bytes) -> str:
    """The checksummed address that signed the typed data (SealingError if it is malformed)."""
    try:
        return str(Account.recover_message(signable(header, content_hash), signature=signature))
    except Exception as exc:  # eth-keys raises several types for a malformed signature
        raise SealingError(
            f"the update's EIP-712 signature is invalid ({type(exc).__name__})",
            reason="bad-signature",
        ) from exc


class KeyTypedSigner:
    """A local key that signs typed data (for the CLI, the demo and tests of the wallet path)."""

    def __init__(self, account: Any) -> None:
        self._account = account

    @property
    def address(self) -> str:
        """The key's checksummed address."""
        return str(self._account.address)

    def sign_typed_data(self, typed_data: dict[str, Any]) -> bytes:
        """A 65-byte EIP-712 signature."""
        message = encode_typed_data(full_message=typed_data)
        return bytes(self._account.sign_message(message).signature)
