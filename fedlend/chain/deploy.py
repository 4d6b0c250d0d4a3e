"""Deploy ModelRepository with the configured account and record its address for this chain id."""

from __future__ import annotations

from eth_account.signers.local import LocalAccount

from fedlend.chain.accounts import load_account
from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.rpc import connect
from fedlend.settings import Settings


def deploy_and_record(
    settings: Settings, *, account: LocalAccount | None = None
) -> ModelRepositoryClient:
    """Compile (cached) and deploy a fresh ModelRepository; Settings.record_deployment remembers it.

    The returned client signs with the deploying account; its deploy_receipt holds gas and block.
    """
    w3 = connect(settings.rpc_url, timeout=settings.rpc_timeout)
    chain_id = int(w3.eth.chain_id)
    account = account or load_account(settings, chain_id=chain_id)
    client = ModelRepositoryClient.deploy(w3, account)
    settings.record_deployment(chain_id, client.address)
    return client
