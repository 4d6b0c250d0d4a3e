"""The client's transactions: post, submit, judge, claim, reclaim, withdraw (typed results)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fedlend.chain.client_core import digest_arg
from fedlend.chain.client_reads import ContractReads
from fedlend.chain.events import UpdateSubmitted
from fedlend.chain.rpc import Sent, sent
from fedlend.chain.terms import ModelTerms
from fedlend.types import BasisPoints, Digest, UpdateRecord, UpdateStatus, Wei


@dataclass(frozen=True)
class RoundReceipt:
    """What one evaluateRound did: the round's payout and each judged update's record."""

    model_id: int
    score: BasisPoints
    previous_best: BasisPoints
    payout_wei: Wei
    updates: tuple[UpdateRecord, ...]


class ContractWrites(ContractReads):
    """The contract's transactions; each returns Sent (receipt figures) with its typed result."""

    def create_model(self, terms: ModelTerms) -> Sent[int]:
        """Escrow the terms' bounty for improving their weights, promising to judge every update
        within the review period after the deadline; returns the new model id."""
        call = self.contract.functions.createModel(*terms_args(terms))
        return self._created(call, terms.bounty_wei)

    def _created(self, call: Any, bounty_wei: int) -> Sent[int]:
        """Send a create call escrowing `bounty_wei`; the new model id from ModelCreated."""
        receipt = self._send(call, value=bounty_wei)
        return sent(receipt, self._receipt_event(receipt, "ModelCreated")["modelId"])

    def submit_update(self, model_id: int, digest: Digest) -> Sent[int]:
        """Offer the update stored under `digest` to a model; returns the new update id."""
        receipt = self._send(self.contract.functions.submitUpdate(model_id, digest_arg(digest)))
        return sent(receipt, self._receipt_event(receipt, "UpdateSubmitted")["updateId"])

    def evaluate_update(
        self, update_id: int, *, score: int, new_weights: Digest
    ) -> Sent[UpdateRecord]:
        """Record the lender's score (bps) for an update; returns the evaluated record."""
        call = self.contract.functions.evaluateUpdate(update_id, score, digest_arg(new_weights))
        receipt = self._send(call)
        reward = self._receipt_event(receipt, "UpdateEvaluated")["reward"]
        record = self._update_at(update_id, Wei(reward), block=receipt["blockNumber"])
        return sent(receipt, record)

    def evaluate_round(
        self,
        model_id: int,
        update_ids: Sequence[int],
        shares: Sequence[int],
        *,
        score: int,
        new_weights: Digest,
    ) -> Sent[RoundReceipt]:
        """Judge several pending updates of one model at once (shares in bps, 0 = rejected)."""
        call = self.contract.functions.evaluateRound(
            model_id, list(update_ids), list(shares), score, digest_arg(new_weights)
        )
        return self._round_receipt(self._send(call), model_id, update_ids)

    def _round_receipt(
        self, receipt: dict[str, Any], model_id: int, update_ids: Sequence[int]
    ) -> Sent[RoundReceipt]:
        verdicts = {int(e["updateId"]): e for e in self._receipt_events(receipt, "UpdateEvaluated")}
        subs = self.index.refresh().submitted  # one refresh for the whole round
        block = receipt["blockNumber"]
        records = tuple(self._judged(i, verdicts[i], block, subs.get(i)) for i in update_ids)
        summary = self._receipt_event(receipt, "RoundEvaluated")
        round_ = RoundReceipt(
            model_id=model_id,
            score=BasisPoints(summary["score"]),
            previous_best=BasisPoints(summary["previousBest"]),
            payout_wei=Wei(summary["payout"]),
            updates=records,
        )
        return sent(receipt, round_)

    def _judged(
        self, update_id: int, verdict: dict[str, Any], block: int, sub: UpdateSubmitted | None
    ) -> UpdateRecord:
        """An update's record from its UpdateEvaluated receipt log and its indexed submission."""
        if sub is None:  # the index has not seen it: read it from the chain
            return self._update_at(update_id, Wei(verdict["reward"]), block=block)
        return UpdateRecord(
            update_id=update_id,
            model_id=sub.model_id,
            submitter=sub.submitter,
            digest=sub.digest,
            submitted_at=sub.submitted_at,
            status=UpdateStatus(verdict["status"]),
            score=BasisPoints(verdict["score"]),
            reward_wei=Wei(verdict["reward"]),
        )

    def claim_unreviewed(self, update_id: int) -> Sent[Wei]:
        """Credit a still-pending update's submitter its share after the review window closed."""
        receipt = self._send(self.contract.functions.claimUnreviewed(update_id))
        return sent(receipt, Wei(self._receipt_event(receipt, "UpdateEvaluated")["reward"]))

    def reclaim(self, model_id: int) -> Sent[Wei]:
        """Credit the lender with what is left of a model's bounty; returns the amount."""
        receipt = self._send(self.contract.functions.reclaim(model_id))
        return sent(receipt, Wei(self._receipt_event(receipt, "BountyReclaimed")["amount"]))

    def withdraw(self) -> Sent[Wei]:
        """Pay this account everything owed to it; returns the amount."""
        receipt = self._send(self.contract.functions.withdraw())
        return sent(receipt, Wei(self._receipt_event(receipt, "Withdrawn")["amount"]))


def terms_args(terms: ModelTerms) -> tuple[bytes, bytes, int, int, int, int]:
    """createModel's arguments (createVerifiedModel's first six)."""
    return (
        digest_arg(terms.weights),
        digest_arg(terms.spec),
        terms.initial_score,
        terms.target_score,
        terms.deadline,
        terms.review_period,
    )
