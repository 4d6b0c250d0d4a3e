"""Unsigned transactions for a browser wallet: prepare (to, data, value, gas, fee), then follow.

In wallet mode the server holds no key. ModelRepositoryClient hands each contract call to an
ExternalSigner (fedlend/wallet), which prepares it here, has the wallet send it and follows the
receipt here: a transaction mined but failed is replayed as a call to decode the revert reason.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

from eth_typing import HexStr
from web3 import Web3
from web3.exceptions import ContractLogicError

from fedlend.chain.review_words import SUMMARIES
from fedlend.chain.rpc import GAS_MARGIN, node_refusals, rpc_errors, wait_receipt
from fedlend.errors import TransactionFailedError

# function name -> what it does, in the words the review screen shows
PLAIN_WORDS: dict[str, str] = {
    "createModel": "Post a bounty: escrow the amount below in the contract until the deadline",
    "createVerifiedModel": (
        "Post a verified bounty: escrow the amount below; it pays rounds only with a "
        "zero-knowledge proof of their score"
    ),
    "submitUpdate": "Offer your sealed model update to bounty #{0}",
    "evaluateUpdate": (
        "Record your score for update #{0}; if it improved the model, its owner is paid from "
        "the bounty"
    ),
    "evaluateRound": (
        "Judge a round of updates of bounty #{0} at once: if its score beats the best, the round's "
        "payout is shared among the updates by the shares you give"
    ),
    "evaluateVerifiedRound": (
        "Judge a round of updates of verified bounty #{0} with a zero-knowledge proof of its "
        "score: the contract pays the round only if the proof checks"
    ),
    "claimUnreviewed": (
        "Claim update #{0}'s equal share of what its bounty had left: the lender did not judge it "
        "within the review period"
    ),
    "reclaim": "Take back what is left of bounty #{0} (credited to you; withdraw it afterwards)",
    "withdraw": "Withdraw everything the contract owes you to your wallet",
}


@dataclass(frozen=True)
class PreparedTx:
    """One contract call, ready for eth_sendTransaction, with what the review screen shows."""

    sender: str
    to: str
    data: str
    value: int
    gas: int
    max_fee_per_gas: int
    chain_id: int
    function: str
    summary: str

    @property
    def fee_estimate_wei(self) -> int:
        """The most this transaction's gas can cost (gas limit x max fee per gas)."""
        return self.gas * self.max_fee_per_gas

    def to_json(self) -> dict[str, Any]:
        """JSON-ready, wei amounts as decimal strings (JS numbers lose precision above 2^53)."""
        data = asdict(self)
        for key in ("value", "max_fee_per_gas"):
            data[key] = str(data[key])
        data["fee_estimate_wei"] = str(self.fee_estimate_wei)
        return data

    def wallet_params(self) -> dict[str, str]:
        """The eth_sendTransaction parameter object (hex quantities; no `to`: a deployment)."""
        params = {
            "from": self.sender,
            "to": self.to,
            "data": self.data,
            "value": hex(self.value),
            "gas": hex(self.gas),
            "chainId": hex(self.chain_id),
        }
        if not self.to:
            del params["to"]
        return params


class ExternalSigner(Protocol):
    """An account whose key lives elsewhere (a browser wallet): it sends calls it is handed."""

    @property
    def address(self) -> str: ...

    def send(self, w3: Web3, call: Any, *, value: int = 0) -> dict[str, Any]: ...


class ExternalDeployer(ExternalSigner, Protocol):
    """An ExternalSigner that also sends contract creations (a verified model's verifiers)."""

    def deploy(self, w3: Web3, constructor: Any, *, summary: str) -> dict[str, Any]: ...


def prepare_call(w3: Web3, sender: str, call: Any, *, value: int = 0) -> PreparedTx:
    """Estimate gas for a call from `sender` (a revert raises web3's ContractLogicError)."""
    name = str(call.fn_name)
    words = SUMMARIES.get(name)
    if words is not None:
        summary = words(w3, sender, call, value)
    else:
        summary = PLAIN_WORDS.get(name, name).format(*call.args)
    return _prepared(w3, sender, call, value=value, function=name, summary=summary)


def prepare_deploy(w3: Web3, sender: str, constructor: Any, *, summary: str) -> PreparedTx:
    """A contract creation from `sender` (web3's ContractConstructor), `to` left empty."""
    return _prepared(w3, sender, constructor, value=0, function="deploy", summary=summary)


def _prepared(
    w3: Web3, sender: str, call: Any, *, value: int, function: str, summary: str
) -> PreparedTx:
    with rpc_errors(), node_refusals(sender):
        tx = call.build_transaction({"from": sender, "value": value})
        block = w3.eth.get_block("latest")
        base_fee = int(block.get("baseFeePerGas", 0) or 0)
        tip = int(w3.eth.max_priority_fee)
        chain_id = int(w3.eth.chain_id)
    return PreparedTx(
        sender=Web3.to_checksum_address(sender),
        to=Web3.to_checksum_address(tx["to"]) if tx.get("to") else "",
        data=Web3.to_hex(tx["data"]) if not isinstance(tx["data"], str) else tx["data"],
        value=int(value),
        gas=int(int(tx["gas"]) * GAS_MARGIN),
        max_fee_per_gas=2 * base_fee + tip,
        chain_id=chain_id,
        function=function,
        summary=summary,
    )


def follow(w3: Web3, prepared: PreparedTx, tx_hash: str, call: Any) -> dict[str, Any]:
    """Wait for the wallet's transaction; check it is the prepared one; decode a revert.

    A mined-but-failed transaction is replayed as eth_call at its block, so the contract's custom
    error surfaces as ContractLogicError for the client's RevertDecoder.
    """
    with rpc_errors():
        tx = w3.eth.get_transaction(HexStr(tx_hash))
    sent_data = Web3.to_hex(tx["input"])
    other_code = not prepared.to and sent_data.lower() != prepared.data.lower()
    if (
        (tx["to"] or "").lower() != prepared.to.lower()
        or tx["from"].lower() != prepared.sender.lower()
        or other_code  # a deployment of other code than the prepared one
    ):
        raise TransactionFailedError(
            f"transaction {tx_hash} is not the one prepared (it goes from {tx['from']} to "
            f"{tx['to']}): nothing was recorded; start the action again"
        )
    try:
        return wait_receipt(w3, bytes.fromhex(tx_hash.removeprefix("0x")))
    except TransactionFailedError:
        receipt = w3.eth.get_transaction_receipt(HexStr(tx_hash))
        if receipt is not None and receipt["status"] == 0 and prepared.to:
            replay = {"from": prepared.sender, "value": prepared.value}
            try:
                call.call(replay, block_identifier=receipt["blockNumber"] - 1)
            except ContractLogicError as revert:
                raise MinedRevertError(tx_hash, revert) from revert
        raise


class MinedRevertError(TransactionFailedError):
    """A wallet's transaction was broadcast and mined, then reverted; `revert` is its decoded
    cause (replayed as eth_call), for the client to turn into a ContractError naming `tx_hash`."""

    def __init__(self, tx_hash: str, revert: ContractLogicError) -> None:
        super().__init__(f"transaction {tx_hash} was mined but reverted: {revert}")
        self.tx_hash = tx_hash
        self.revert = revert
