"""ModelRepositoryClient: the one typed door to the contract (the only code using its ABI).

Its calls live in four layers: client_core (calls, sends, receipts), client_reads (views and
events), client_writes (transactions) and client_verified (verified models); this module builds
clients (connect, deploy, another account) on top of them.
"""

from __future__ import annotations

from eth_account.signers.local import LocalAccount
from web3 import Web3

from fedlend.chain.accounts import load_account
from fedlend.chain.client_core import CONTRACT_NAME
from fedlend.chain.client_verified import VerifiedCalls
from fedlend.chain.client_writes import RoundReceipt
from fedlend.chain.compile import Artifact, load_artifact
from fedlend.chain.prepared import ExternalSigner
from fedlend.chain.rpc import Sent, connect, rpc_errors, send_call, sent
from fedlend.chain.terms import ModelTerms, ProofClaim
from fedlend.errors import ConfigError
from fedlend.settings import Settings

__all__ = ["ModelRepositoryClient", "ModelTerms", "ProofClaim", "RoundReceipt", "Sent"]


class ModelRepositoryClient(VerifiedCalls):
    """Typed calls to one deployed ModelRepository; sends are signed locally by `account`, or
    handed to an ExternalSigner (a browser wallet) that prepares, has them sent and follows them."""

    @classmethod
    def connect(
        cls,
        settings: Settings,
        *,
        account: LocalAccount | ExternalSigner | None = None,
        read_only: bool = False,
    ) -> ModelRepositoryClient:
        """A client on Settings' RPC URL and contract, signing with Settings' account if any."""
        w3 = connect(settings.rpc_url, timeout=settings.rpc_timeout)
        chain_id = w3.eth.chain_id
        address = settings.resolve_contract(chain_id)
        if account is None and not read_only and _has_account(settings):
            account = load_account(settings, chain_id=chain_id)
        client = cls(w3, address, account)
        client.check_deployed()
        return client

    @classmethod
    def deploy(
        cls, w3: Web3, account: LocalAccount, *, artifact: Artifact | None = None
    ) -> ModelRepositoryClient:
        """Deploy a fresh ModelRepository from `account` and return a client on it."""
        artifact = artifact or load_artifact(CONTRACT_NAME)
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        receipt = send_call(w3, account, factory.constructor())
        client = cls(w3, receipt["contractAddress"], account, artifact=artifact)
        client.deploy_receipt = sent(receipt, client.address)
        return client

    def with_account(self, account: LocalAccount | ExternalSigner | None) -> ModelRepositoryClient:
        """The same contract, signing with another account."""
        return ModelRepositoryClient(
            self.w3, self.address, account, artifact=self.artifact, page_size=self.page_size
        )

    def check_deployed(self) -> None:
        """Raise ConfigError if no contract code lives at the address on this chain."""
        with rpc_errors():
            code = self.w3.eth.get_code(self.contract.address)
        if not code:
            raise ConfigError(
                f"no contract at {self.address} on chain {self.chain_id}: run `fedlend deploy` "
                "(a restarted chain without --state forgets deployments)"
            )


def _has_account(settings: Settings) -> bool:
    return bool(settings.private_key or settings.keystore_path or settings.dev_account is not None)
