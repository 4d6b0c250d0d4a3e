"""Which rounds of a verified model are proven: each proof re-checked from chain data alone.

The proof and its public outputs are read from the round's own transaction (evaluateVerifiedRound
calldata), then the model's RoundVerifier is asked again (an eth_call): the proof must verify,
its data commitment must be the model's, its public weights must hash to the recorded weights and
its recomputed score must be the recorded score. No validation data is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_typing import HexStr
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import Web3Exception

from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.compile import load_artifact
from fedlend.chain.events import RoundEvaluated

MAX_CALLDATA = 1 << 20


@dataclass(frozen=True)
class RoundProof:
    """One round's verdict: proven, or why not."""

    tx_hash: str
    score: int
    proven: bool
    reason: str


def audit_proofs(
    client: ModelRepositoryClient, model_id: int, rounds: list[RoundEvaluated]
) -> list[RoundProof] | None:
    """One RoundProof per round of a verified model; None for a model created unverified."""
    verification = client.get_verification(model_id)
    if verification is None:
        return None
    verifier_address, commitment = verification
    wrapper = load_artifact("RoundVerifier")
    verifier = client.w3.eth.contract(
        address=Web3.to_checksum_address(verifier_address), abi=wrapper.abi
    )
    return [_check(client, verifier, commitment, r) for r in rounds]


def _check(
    client: ModelRepositoryClient, verifier: Contract, commitment: bytes, r: RoundEvaluated
) -> RoundProof:
    def verdict(proven: bool, reason: str) -> RoundProof:
        return RoundProof(r.at.tx_hash, int(r.score), proven, reason)

    try:
        tx = client.w3.eth.get_transaction(HexStr(r.at.tx_hash))
        raw = bytes(tx["input"])
        if len(raw) > MAX_CALLDATA:
            return verdict(False, "its transaction is too large to be a round")
        function, args = client.contract.decode_function_input(raw)
    except (Web3Exception, ValueError) as exc:
        return verdict(False, f"its transaction could not be read ({type(exc).__name__})")
    if function.fn_name != "evaluateVerifiedRound":
        return verdict(False, f"it was sent with {function.fn_name}, without a proof")
    try:
        valid, score, proven_commitment, weights = verifier.functions.verifyRound(
            args["proof"], args["instances"]
        ).call(block_identifier=r.at.block_number)
    except (Web3Exception, ValueError) as exc:
        return verdict(False, f"its verifier refused the proof ({type(exc).__name__})")
    checks = [
        (valid, "the proof does not verify"),
        (bytes(proven_commitment) == commitment, "the proof is over other data"),
        (bytes(weights) == bytes(r.new_weights), "the proven weights are not the recorded ones"),
        (int(score) == int(r.score), f"the proof shows {score} bps, not {r.score}"),
    ]
    failed = [why for ok, why in checks if not ok]
    return verdict(not failed, "; ".join(failed) or "proven")
