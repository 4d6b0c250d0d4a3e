"""What the wallet review screen says for the calls whose words need more than their arguments.

createVerifiedModel: the bounty in ETH (the call's value), the proven initial score, the verifier
and that the model pays rounds only with a zero-knowledge proof. evaluateVerifiedRound: the
proven score and the payout the contract will make (read by eth_call before the wallet opens).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from web3 import Web3

from fedlend.amounts import eth_rounded
from fedlend.chain.rpc import rpc_errors

Summary = Callable[[Web3, str, Any, int], str]  # (w3, sender, call, value) -> words


def _score(bps: int) -> str:
    return f"{bps} bps ({bps / 100:.2f}% ROC-AUC)"


def verified_model_words(_w3: Web3, _sender: str, call: Any, value: int) -> str:
    """createVerifiedModel(weights, spec, initialScore, targetScore, deadline, reviewPeriod,
    verifier, proof, instances)."""
    initial, target, verifier = int(call.args[2]), int(call.args[3]), str(call.args[6])
    return (
        f"Post a verified bounty: escrow {eth_rounded(value)} in the contract until the "
        f"deadline. The base model's initial score {_score(initial)} is proven by the "
        f"zero-knowledge proof this transaction carries, checked by verifier {verifier}; "
        f"target {_score(target)}. This model pays rounds only with a zero-knowledge proof."
    )


def verified_round_words(_w3: Web3, sender: str, call: Any, _value: int) -> str:
    """evaluateVerifiedRound(modelId, updateIds, shares, score, newWeights, proof, instances)."""
    model_id, updates, score = int(call.args[0]), list(call.args[1]), int(call.args[3])
    with rpc_errors():
        payout = int(call.call({"from": sender}))  # a revert: the gas estimate's error, earlier
    paid = (
        f"the contract pays {eth_rounded(payout)} from the bounty, shared among the round's "
        f"{len(updates)} update(s) by the shares you give"
        if payout
        else "it does not beat the best score, so nothing is paid"
    )
    return (
        f"Judge a round of updates of verified bounty #{model_id} with a zero-knowledge proof: "
        f"score proven {_score(score)}; {paid}. The contract pays only if the proof checks."
    )


SUMMARIES: dict[str, Summary] = {
    "createVerifiedModel": verified_model_words,
    "evaluateVerifiedRound": verified_round_words,
}
