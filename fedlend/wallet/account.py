"""WalletAccount: the signed-in browser wallet as the services' account (no key on the server).

It is what ModelRepositoryClient sends through (an ExternalSigner), what sealing signs with (a
TypedDataSigner) and where the lender's update-decryption key comes from (fedlend/wallet/keys.py).
Every request goes through the WalletBridge to the page of the job that needs it, so it only works
inside a background job started by this account.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from web3 import Web3

from fedlend.chain.prepared import PreparedTx, follow, prepare_call, prepare_deploy
from fedlend.errors import WalletError
from fedlend.sealing import EncryptionKeypair
from fedlend.wallet.bridge import WalletBridge
from fedlend.wallet.keys import KEY_MESSAGE, keypair_from_signature

JobContext = Callable[[], tuple[str, Callable[[], bool]] | None]  # (job id, cancelled) or None


class WalletAccount:
    """One signed-in address; requests are answered by its wallet through the bridge."""

    def __init__(self, address: str, *, bridge: WalletBridge, job: JobContext) -> None:
        self.address = Web3.to_checksum_address(address)
        self._bridge = bridge
        self._job = job
        self._keypair: EncryptionKeypair | None = None
        self._key_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"WalletAccount({self.address})"

    # --- ExternalSigner ------------------------------------------------------------------------
    def send(self, w3: Web3, call: Any, *, value: int = 0) -> dict[str, Any]:
        """Prepare the call, have the wallet review and send it, follow it to its receipt."""
        prepared = prepare_call(w3, self.address, call, value=value)
        tx_hash = self._ask("send_transaction", [prepared.wallet_params()], _tx_review(prepared))
        return follow(w3, prepared, tx_hash, call)

    def deploy(self, w3: Web3, constructor: Any, *, summary: str) -> dict[str, Any]:
        """A contract creation (web3's ContractConstructor) reviewed with `summary`, sent by the
        wallet and followed to its receipt (the wallet must send exactly the prepared code)."""
        prepared = prepare_deploy(w3, self.address, constructor, summary=summary)
        review = {"title": "Review the deployment", **prepared.to_json()}
        tx_hash = self._ask("send_transaction", [prepared.wallet_params()], review)
        return follow(w3, prepared, tx_hash, constructor)

    # --- TypedDataSigner -----------------------------------------------------------------------
    def sign_typed_data(self, typed_data: dict[str, Any]) -> bytes:
        """An EIP-712 signature by the wallet (eth_signTypedData_v4)."""
        review = {
            "title": "Sign your sealed update",
            "summary": (
                f"Sign update for bounty #{typed_data['message']['modelId']}: it spends "
                f"ε {typed_data['message']['epsilon']} on "
                f"{typed_data['message']['numExamples']:,} of your loans. No transaction, no fee."
            ),
        }
        signature = self._ask("sign_typed_data", [self.address, typed_data], review)
        return bytes.fromhex(signature.removeprefix("0x"))

    # --- the lender's decryption key -------------------------------------------------------------
    def unlock(self, signature: str) -> EncryptionKeypair:
        """Derive and keep the decryption key from a signature of KEY_MESSAGE by this account."""
        keypair = keypair_from_signature(self.address, signature)
        with self._key_lock:
            self._keypair = keypair
        return keypair

    @property
    def unlocked(self) -> bool:
        """Whether the decryption key is in memory."""
        return self._keypair is not None

    def encryption_keypair(self) -> EncryptionKeypair:
        """The decryption key; asks the wallet to sign KEY_MESSAGE the first time (in a job)."""
        with self._key_lock:
            if self._keypair is not None:
                return self._keypair
        review = {
            "title": "Unlock your update-decryption key",
            "summary": (
                "Sign a fixed message (no transaction, no fee): the key data owners encrypt "
                "their updates to is derived from this signature and kept in memory only."
            ),
        }
        signature = self._ask(
            "personal_sign", ["0x" + KEY_MESSAGE.encode().hex(), self.address], review
        )
        return self.unlock(signature)

    def _ask(self, kind: str, params: Any, review: dict[str, Any]) -> str:
        job = self._job()
        if job is None:
            raise WalletError(
                "a wallet request can only come from a background job started by this account: "
                "start the action again from its page"
            )
        job_id, cancelled = job
        return self._bridge.ask(
            job_id=job_id,
            address=self.address,
            kind=kind,
            params=params,
            review=review,
            cancelled=cancelled,
        )


def _tx_review(prepared: PreparedTx) -> dict[str, Any]:
    return {"title": "Review the transaction", **prepared.to_json()}
