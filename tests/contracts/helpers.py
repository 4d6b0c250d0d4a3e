"""Helpers for the contract tests: deploy the test contracts, send to them, compare errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.compile import load_artifact
from fedlend.chain.revert import RevertDecoder
from fedlend.chain.rpc import send_call
from fedlend.errors import ContractError


def deploy_helper(w3: Web3, account: LocalAccount, name: str, *args: Any) -> Contract:
    """Deploy a contract from contracts/test/ and return it."""
    artifact = load_artifact(name, include_tests=True)
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = send_call(w3, account, factory.constructor(*args))
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


def send_helper(
    repo: ModelRepositoryClient, account: LocalAccount, call: Any, *, value: int = 0
) -> dict[str, Any]:
    """Send a call to a helper contract; ModelRepository errors it bubbles become ContractError."""
    with RevertDecoder(repo.artifact.abi).translated():
        return send_call(repo.w3, account, call, value=value)


@contextmanager
def refused(name: str) -> Iterator[pytest.ExceptionInfo[ContractError]]:
    """Expect a ContractError whose decoded custom error is ModelRepository<name>."""
    with pytest.raises(ContractError) as info:
        yield info
    assert info.value.error_name == f"ModelRepository{name}", str(info.value)


def contract_balance(repo: ModelRepositoryClient) -> int:
    """The repository contract's ETH balance in wei."""
    return repo.balance_of(repo.address)


def snapshot_counts(repo: ModelRepositoryClient) -> tuple[int, int, int]:
    """(contract balance, model count, update count): what a refused call must not change."""
    return contract_balance(repo), repo.model_count(), repo.update_count()


Action = Callable[[], object]
