"""A verified model's round: prove the round's aggregate on the committed set, then send it.

After the Shapley strategy picks the aggregate, it is quantized and proven; the PROVEN score
(the quantized model's AUC) is what the round claims. If it does not beat the best score the
round is a rejection, proven too: the contract checks that proof exactly like a paid one
(`newWeights` = sha256 of the proof's public weights, `score` = its score) and pays nothing.
With no valid update the current weights are proven again (a rejection at the best score).
Nothing is sent before the proof holds off-chain: a crash, a cancel or a rejected wallet
signature before the send leaves nothing on-chain, and a retry reuses the kept proof of the
same aggregate (fedlend/services/proof_cache.py). In wallet mode the send is the one ask.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fedlend.chain.client import ModelRepositoryClient, RoundReceipt
from fedlend.chain.rpc import Sent
from fedlend.chain.terms import ProofClaim
from fedlend.errors import JobCancelledError, ProofError, StorageError
from fedlend.services.lender import LenderService
from fedlend.services.verified_proofs import Proven, circuit_of, prove_weights
from fedlend.types import MAX_SCORE, BasisPoints, ModelRecord
from fedlend_core.progress import Progress, within
from fl.spec import ModelSpec
from fl.strategy import RoundResult
from zk.prover import verify

Cancel = Callable[[], bool] | None


@dataclass(frozen=True)
class RoundProvenEvent:
    """One RoundProven event: the contract checked this round's proof before judging it."""

    score: int
    new_weights: bytes
    proof_digest: bytes  # keccak256 of the proof
    tx_hash: str
    block_number: int


@dataclass(frozen=True)
class ProvenRound:
    """What a verified round claims: the proof of its aggregate, and the payout shares."""

    proven: Proven
    improves: bool
    shares: dict[int, int]  # update id -> bps of the payout (empty: a rejection)

    @property
    def score(self) -> BasisPoints:
        """The proven score the round claims."""
        return self.proven.score


def prove_round(
    lender: LenderService,
    spec: ModelSpec,
    model: ModelRecord,
    result: RoundResult | None,
    *,
    progress: Progress,
    cancel: Cancel = None,
) -> ProvenRound:
    """Prove the round's aggregate (or, with no valid update, the current weights)."""
    label = f"proving round {_round_number(lender, model.model_id)}"
    _check(cancel, label)
    candidate = result.weights if result else lender.node.weights_at(spec, model.weights)
    circuit = circuit_of(lender, spec, within(progress, 0.5, 0.6, f"{label}: circuit keys"))
    _check(cancel, label)
    proving = within(progress, 0.6, 0.85, label)
    proven = prove_weights(circuit, spec, candidate, proving, cache=lender.state)
    progress(0.86, f"{label}: verifying")
    if not verify(proven.proof, circuit.keys):
        raise ProofError(f"{label}: the proof does not verify off-chain; nothing was sent")
    _check(cancel, label)
    improves = result is not None and any(result.included) and proven.score > model.best_score
    shares = dict(zip(result.keys, result.shares_bps, strict=True)) if result and improves else {}
    if improves and sum(shares.values()) != MAX_SCORE:
        raise ProofError(f"{label}: the improving round's shares do not sum to 10000")
    return ProvenRound(proven, improves, shares)


def send_proven_round(
    lender: LenderService, model_id: int, ids: Sequence[int], claim: ProvenRound
) -> Sent[RoundReceipt]:
    """Store the proven weights (if they improve) and send evaluateVerifiedRound."""
    proven = claim.proven
    if claim.improves and lender.node.put(proven.blob) != proven.digest:
        raise StorageError("the store named the proven weights by another digest: check it")
    return lender.node.client.evaluate_verified_round(
        model_id,
        list(ids),
        [claim.shares.get(i, 0) for i in ids],
        score=proven.score,
        new_weights=proven.digest,
        claim=ProofClaim(proven.proof.data, tuple(proven.proof.instances)),
    )


def _round_number(lender: LenderService, model_id: int) -> int:
    events = lender.node.client.index.model_events(model_id)
    return 1 + sum(type(e).__name__ == "RoundEvaluated" for e in events)


def _check(cancel: Cancel, label: str) -> None:
    if cancel is not None and cancel():
        raise JobCancelledError(f"{label} cancelled before anything was sent")


def proven_rounds(client: ModelRepositoryClient, model_id: int) -> list[RoundProvenEvent]:
    """The RoundProven events of one model, oldest first (from the chain's logs)."""
    event = client.contract.events.RoundProven()
    logs = event.get_logs(from_block=0, argument_filters={"modelId": model_id})
    return [
        RoundProvenEvent(
            score=int(log["args"]["score"]),
            new_weights=bytes(log["args"]["newWeights"]),
            proof_digest=bytes(log["args"]["proofDigest"]),
            tx_hash="0x" + bytes(log["transactionHash"]).hex().removeprefix("0x"),
            block_number=int(log["blockNumber"]),
        )
        for log in logs
    ]
