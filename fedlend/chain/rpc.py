"""JSON-RPC plumbing: connect to any EVM node, sign locally, send, await receipts, map failures."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import requests
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import (
    ProviderConnectionError,
    TimeExhausted,
    TransactionNotFound,
    Web3RPCError,
)
from web3.providers.rpc.utils import ExceptionRetryConfiguration

from fedlend.errors import ChainUnavailableError, TransactionFailedError
from fedlend.redact import protect, redact_url

T = TypeVar("T")
RECEIPT_TIMEOUT = 120.0
RECEIPT_POLL = 0.05
GAS_MARGIN = 1.2  # estimate * margin: only gas used is paid, the margin absorbs state drift

_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


@dataclass(frozen=True)
class Sent(Generic[T]):
    """What a mined transaction gave back: its decoded result and its receipt figures."""

    value: T
    tx_hash: str
    gas_used: int
    block_number: int
    fee_wei: int  # gas_used * effective gas price: what the sender paid besides any value


def connect(rpc_url: str, *, timeout: float = 30.0) -> Web3:
    """A Web3 on an HTTP JSON-RPC URL, checked to answer (else ChainUnavailableError)."""
    retry = ExceptionRetryConfiguration(
        errors=(requests.ConnectionError, requests.Timeout), retries=2, backoff_factor=0.1
    )
    provider = Web3.HTTPProvider(
        rpc_url, request_kwargs={"timeout": timeout}, exception_retry_configuration=retry
    )
    w3 = Web3(provider)
    protect(rpc_url)
    with rpc_errors(rpc_url):
        w3.eth.chain_id  # noqa: B018  (one round trip proves the node answers)
    return w3


@contextmanager
def rpc_errors(where: str = "the chain") -> Iterator[None]:
    """Turn transport failures into ChainUnavailableError (contract reverts pass through)."""
    try:
        yield
    except (requests.ConnectionError, requests.Timeout, ProviderConnectionError, OSError) as exc:
        raise ChainUnavailableError(
            f"cannot reach {_safe(where)}: start a local chain with `fedlend chain` "
            "or point FEDLEND_RPC_URL at a running node"
        ) from exc
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise ChainUnavailableError(
            f"{_safe(where)} answered HTTP {status}: check FEDLEND_RPC_URL and its access key"
        ) from exc


def _safe(where: str) -> str:
    return redact_url(where) if "://" in where else where


def account_lock(address: str) -> threading.Lock:
    """One lock per sending address in this process, so concurrent sends get distinct nonces."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(address.lower(), threading.Lock())


def send_call(w3: Web3, account: LocalAccount, call: Any, *, value: int = 0) -> dict[str, Any]:
    """Estimate, sign locally and send a contract call; return its successful receipt.

    Reverts surface as web3's ContractLogicError (from the gas estimate) for the caller to decode.
    """
    where = getattr(w3.provider, "endpoint_uri", None) or "the chain"
    with account_lock(account.address), rpc_errors(where), node_refusals(account.address):
        tx = call.build_transaction(
            {
                "from": account.address,
                "value": value,
                "nonce": w3.eth.get_transaction_count(account.address, "pending"),
                "chainId": w3.eth.chain_id,
            }
        )
        tx["gas"] = int(tx["gas"] * GAS_MARGIN)
        signed = account.sign_transaction(tx)
        tx_hash = bytes(w3.eth.send_raw_transaction(signed.raw_transaction))
    return wait_receipt(w3, tx_hash)


def wait_receipt(w3: Web3, tx_hash: bytes, *, timeout: float = RECEIPT_TIMEOUT) -> dict[str, Any]:
    """Wait for a transaction's receipt; a failed (status 0) one raises TransactionFailedError."""
    try:
        receipt = w3.eth.wait_for_transaction_receipt(
            HexBytes(tx_hash), timeout=timeout, poll_latency=RECEIPT_POLL
        )
    except (TimeExhausted, TransactionNotFound) as exc:
        raise TransactionFailedError(
            f"transaction {Web3.to_hex(tx_hash)} was not mined within {timeout:.0f} s: "
            "check the node, then look the hash up before retrying"
        ) from exc
    if receipt["status"] != 1:
        raise TransactionFailedError(
            f"transaction {Web3.to_hex(tx_hash)} was mined but failed (out of gas?): "
            "retry, or check the call on a block explorer"
        )
    return dict(receipt)


def sent(receipt: dict[str, Any], value: T) -> Sent[T]:
    """A Sent record from a receipt and the call's decoded result."""
    gas_used = int(receipt["gasUsed"])
    return Sent(
        value=value,
        tx_hash=Web3.to_hex(receipt["transactionHash"]),
        gas_used=gas_used,
        block_number=int(receipt["blockNumber"]),
        fee_wei=gas_used * int(receipt.get("effectiveGasPrice", 0)),
    )


@contextmanager
def node_refusals(sender: str) -> Iterator[None]:
    """Turn the node's refusals of a transaction (funds, nonce, fee) into TransactionFailedError."""
    try:
        yield
    except Web3RPCError as exc:
        text = str(exc.message or exc)
        if "insufficient funds" in text.lower():
            raise TransactionFailedError(
                f"account {sender} cannot pay value + gas: fund it, then retry"
            ) from exc
        raise TransactionFailedError(f"the node refused the transaction: {text}") from exc
