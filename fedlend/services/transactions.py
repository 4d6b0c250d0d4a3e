"""Transactions in words: one transaction from its receipt, and an account's own history."""

from __future__ import annotations

import re
from dataclasses import dataclass

from eth_typing import HexStr
from web3 import Web3
from web3.exceptions import TransactionNotFound
from web3.types import TxData

from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.prepared import PLAIN_WORDS
from fedlend.chain.rpc import rpc_errors
from fedlend.errors import NotFoundError

TX_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
MAX_HISTORY = 100


@dataclass(frozen=True)
class TxView:
    """One mined transaction to (or from) the contract, as a page shows it."""

    tx_hash: str
    block_number: int
    sender: str
    to: str | None
    function: str
    summary: str
    value_wei: int
    fee_wei: int
    gas_used: int
    succeeded: bool
    events: tuple[str, ...]


def tx_detail(client: ModelRepositoryClient, tx_hash: str) -> TxView:
    """A transaction rebuilt from the node (NotFoundError if the hash is malformed or unknown)."""
    if not isinstance(tx_hash, str) or not TX_HASH.fullmatch(tx_hash):
        raise NotFoundError("that is not a transaction hash (0x and 64 hex digits): copy it again")
    try:
        with rpc_errors():
            tx = client.w3.eth.get_transaction(HexStr(tx_hash))
            receipt = client.w3.eth.get_transaction_receipt(HexStr(tx_hash))
    except TransactionNotFound as exc:
        raise NotFoundError(
            f"no mined transaction {tx_hash} on chain {client.chain_id}: it may be pending, or "
            "on another chain"
        ) from exc
    function, summary = _decode(client, tx)
    events = tuple(
        e.__class__.__name__
        for e in client.events(from_block=receipt["blockNumber"], to_block=receipt["blockNumber"])
        if e.at.tx_hash.lower() == tx_hash.lower()
    )
    return TxView(
        tx_hash=Web3.to_hex(receipt["transactionHash"]),
        block_number=int(receipt["blockNumber"]),
        sender=str(tx["from"]),
        to=str(tx["to"]) if tx["to"] else None,
        function=function,
        summary=summary,
        value_wei=int(tx["value"]),
        fee_wei=int(receipt["gasUsed"]) * int(receipt.get("effectiveGasPrice", 0)),
        gas_used=int(receipt["gasUsed"]),
        succeeded=receipt["status"] == 1,
        events=events,
    )


def history(
    client: ModelRepositoryClient, address: str, *, limit: int = MAX_HISTORY
) -> list[TxView]:
    """The account's own transactions with the contract, newest first (from its events)."""
    hashes: list[str] = []
    for event in reversed(client.events()):
        if event.at.tx_hash not in hashes:
            hashes.append(event.at.tx_hash)
    mine = []
    for tx_hash in hashes:
        with rpc_errors():
            sender = client.w3.eth.get_transaction(HexStr(tx_hash))["from"]
        if sender.lower() == address.lower():
            mine.append(tx_detail(client, tx_hash))
            if len(mine) >= limit:
                break
    return mine


def _decode(client: ModelRepositoryClient, tx: TxData) -> tuple[str, str]:
    if not tx["to"] or tx["to"].lower() != client.address.lower():
        return "", "a transaction to another address than the fedlend contract"
    try:
        fn, args = client.contract.decode_function_input(tx["input"])
    except ValueError:
        return "", "a call the contract does not know"
    name = str(fn.fn_name)
    return name, PLAIN_WORDS.get(name, name).format(*args.values())
