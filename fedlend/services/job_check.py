"""Re-check a finished job's transaction on-chain after a restart, and say what was lost."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hexbytes import HexBytes
from web3.exceptions import TransactionNotFound

from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.rpc import rpc_errors
from fedlend.services.transactions import TX_HASH


class TxState(StrEnum):
    """Where a job's transaction is now."""

    MINED = "mined"
    PENDING = "pending"  # known to the node, not yet mined
    LOST = "lost"  # the node knows nothing of it (a restart or reorg dropped it)


@dataclass(frozen=True)
class JobCheck:
    """A job's transaction as the chain holds it now, and what the user should know."""

    tx_hash: str
    state: TxState
    note: str  # '' when nothing was lost


def tx_state(client: ModelRepositoryClient, tx_hash: str) -> TxState:
    """MINED if the chain holds the receipt, PENDING if only the node's pool does, else LOST."""
    with rpc_errors():
        try:
            client.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
            return TxState.MINED
        except TransactionNotFound:
            pass
        try:
            client.w3.eth.get_transaction(HexBytes(tx_hash))
            return TxState.PENDING
        except TransactionNotFound:
            return TxState.LOST


def check_job(client: ModelRepositoryClient, kind: str, result: Any) -> JobCheck | None:
    """Re-check a done job's transaction (None if the result names none)."""
    if not isinstance(result, dict):
        return None
    tx_hash = result.get("tx_hash")
    if not isinstance(tx_hash, str) or not TX_HASH.fullmatch(tx_hash):
        return None
    state = tx_state(client, tx_hash)
    note = lost_note(kind, result, tx_hash) if state == TxState.LOST else ""
    return JobCheck(tx_hash, state, note)


def lost_note(kind: str, result: dict[str, Any], tx_hash: str) -> str:
    """What a lost transaction of this kind of job means, in words, with what to do next."""
    gone = (
        f"its transaction {tx_hash} is no longer on the chain (the chain restarted or reorganised)"
    )
    if kind == "contribute":
        eps = result.get("epsilon")
        spent = f"ε {eps:.3g}" if isinstance(eps, int | float) else "the ε"
        return (
            f"lost: update #{result.get('update_id', '?')} was submitted but {gone}. "
            f"{spent} charged for it stays charged (the sealed update was sent, so it is not "
            "refunded); contribute again to resubmit"
        )
    if kind == "post":
        return (
            f"lost: model #{result.get('model_id', '?')} was posted but {gone}, so no bounty "
            "is escrowed; post it again"
        )
    if kind.startswith("evaluate"):
        return f"lost: the evaluation was sent but {gone}; its updates are pending: evaluate again"
    if kind.startswith("withdraw"):
        return (
            f"lost: the withdrawal was sent but {gone}; what it paid is owed again: withdraw again"
        )
    return f"lost: {gone}"
