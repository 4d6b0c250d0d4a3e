"""Helpers for the contract tests: deploy the test contracts, send to them, compare errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.compile import load_artifact
from fedlend.chain.revert import RevertDecoder
from fedlend.chain.rpc import send_call
from fedlend.errors import ContractError
from fedlend.types import Digest


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


def read_books(
    repo: ModelRepositoryClient, accounts: Sequence[str], model_ids: list[int]
) -> tuple[int, list[int], list[list[int]]]:
    """(contract balance, owed per account, getModel words per model) in one JSON-RPC batch.

    Raw eth_calls keep hundreds of full checks fast (web3's per-call formatting dominates).
    getModel words: lender, bounty, remaining, deadline, initial, target, best, status, ...
    """
    calls: list[tuple[str, list[object]]] = [("eth_getBalance", [repo.address, "latest"])]
    calls += [_eth_call(repo.address, "owed(address)", int(a, 16)) for a in accounts]
    calls += [_eth_call(repo.address, "getModel(uint256)", i) for i in model_ids]
    body: list[dict[str, Any]] = [
        {"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)
    ]
    url = repo.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    replies = sorted(requests.post(url, json=body, timeout=30).json(), key=lambda r: r["id"])
    words = [_words(reply["result"]) for reply in replies]
    n = len(accounts)
    return words[0][0], [w[0] for w in words[1 : 1 + n]], words[1 + n :]


def _eth_call(to: str, signature: str, arg: int) -> tuple[str, list[object]]:
    selector = Web3.keccak(text=signature)[:4].hex()
    return "eth_call", [{"to": to, "data": f"0x{selector}{arg:064x}"}, "latest"]


def _words(hex_result: str) -> list[int]:
    raw = hex_result.removeprefix("0x") or "0"
    return [int(raw[i : i + 64], 16) for i in range(0, len(raw), 64)]


@dataclass(frozen=True)
class ContractKit:
    """The session contract's fixtures in one: the lender's client (dev account 0), a client per
    account, the dev accounts, fresh models, fresh digests and the chain's clock."""

    repo: ModelRepositoryClient
    client_for: Callable[[LocalAccount | None], ModelRepositoryClient]
    accounts: list[LocalAccount]
    new_model: Callable[..., int]
    digest: Callable[[], Digest]
    advance_time: Callable[[int], int]
    now: Callable[[], int]  # the chain's clock (chain_now)
