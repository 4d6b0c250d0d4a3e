"""A participant's handle on the network: chain client, content store and signing account."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import torch
from eth_account.signers.local import LocalAccount

from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.prepared import ExternalSigner
from fedlend.errors import ConfigError
from fedlend.private_files import private_dir
from fedlend.services.spec_cache import specs_for
from fedlend.services.weights_cache import weights_for
from fedlend.settings import Settings
from fedlend.storage.base import ContentStore
from fedlend.storage.cid import cid_for, cid_to_digest, digest_to_cid
from fedlend.storage.factory import open_store
from fedlend.types import Address, Digest, ModelRecord, Wei
from fl.spec import ModelSpec
from fl.weights import weights_to_bytes


@dataclass(frozen=True)
class Node:
    """One account's view of one ModelRepository and one content store."""

    settings: Settings
    client: ModelRepositoryClient
    store: ContentStore

    @property
    def account(self) -> LocalAccount | ExternalSigner:
        """The signing account (ConfigError if the client was opened read-only)."""
        if self.client.account is None:
            raise ConfigError(
                "no account configured: set FEDLEND_PRIVATE_KEY, FEDLEND_KEYSTORE or "
                "FEDLEND_DEV_ACCOUNT (local chain only)"
            )
        return self.client.account

    @property
    def address(self) -> Address:
        """This participant's checksummed address."""
        return Address(self.account.address)

    @cached_property
    def chain_id(self) -> int:
        """The chain's id (cached: it never changes for one node)."""
        return self.client.chain_id

    @property
    def contract(self) -> Address:
        """The ModelRepository this node talks to."""
        return self.client.address

    def balance(self) -> Wei:
        """This account's ETH balance."""
        return self.client.balance_of(self.address)

    def owed(self) -> Wei:
        """What the contract owes this account (withdrawable)."""
        return self.client.owed(self.address)

    def chain_time(self) -> int:
        """The latest block's timestamp (what deadlines are compared with)."""
        return self.client.chain_time()

    # --- content ---------------------------------------------------------------------------
    def put(self, data: bytes) -> Digest:
        """Store bytes, returning the 32-byte digest the contract records."""
        cid = self.store.put(data)
        self.store.pin(cid)
        return cid_to_digest(cid)

    def get(self, digest: Digest) -> bytes:
        """Fetch bytes by on-chain digest (verified against the CID by the store)."""
        return self.store.get(digest_to_cid(digest))

    def spec_of(self, model: ModelRecord) -> ModelSpec:
        """A model's spec, fetched, verified and parsed once per digest (SpecError if malformed)."""
        return specs_for(self.store).get(model.spec, lambda: self.get(model.spec))

    def weights_at(self, spec: ModelSpec, digest: Digest) -> dict[str, torch.Tensor]:
        """Weights stored under a digest, checked against the spec (parsed once per digest)."""
        return weights_for(self.store).get(spec, digest, lambda: self.get(digest))

    def put_weights(self, spec: ModelSpec, weights: dict[str, torch.Tensor]) -> Digest:
        """Store weights in canonical safetensors form."""
        return self.put(weights_to_bytes(weights, spec=spec))


def open_node(settings: Settings, *, account: LocalAccount | ExternalSigner | None = None) -> Node:
    """Connect to the configured chain and contract and open the configured store."""
    client = ModelRepositoryClient.connect(settings, account=account)
    return Node(settings=settings, client=client, store=open_store(settings))


def state_dir(settings: Settings, role: str, address: str) -> Path:
    """Where one role's private local state for one account lives (created 0700)."""
    return private_dir(settings.home / role / address.lower())


__all__ = ["Node", "cid_for", "open_node", "state_dir"]
