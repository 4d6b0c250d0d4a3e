"""The lender's local records of an evaluation pass: one row per update, one per round."""

from __future__ import annotations

from typing import Any

from fedlend.services.record_rows import EvaluationRow, RoundRow
from fedlend.types import ModelRecord, UpdateRecord, UpdateStatus, Wei
from fl.strategy import RoundResult


def update_row(
    e: Any, record: UpdateRecord, nonce: str | None, header: object, now: float
) -> EvaluationRow:
    """One update's row of the evaluations table."""
    return EvaluationRow(
        update_id=e.update_id,
        model_id=record.model_id,
        submitter=e.submitter,
        status=record.status.name.lower(),
        score=e.score,
        reward_wei=Wei(e.reward_wei),
        reason=e.reason,
        epsilon=e.epsilon,
        delta=getattr(header, "delta", None),
        n_examples=e.n_examples,
        metrics=dict(e.metrics),
        contribution=e.shapley_value,
        share_bps=e.share_bps,
        std_error=e.std_error,
        nonce=nonce,
        tx_hash=e.tx_hash,
        gas_used=e.gas_used,
        at=now,
    )


def round_row(
    model: ModelRecord,
    n_updates: int,
    result: RoundResult | None,
    sent: object,
    score: int,
    now: float,
) -> RoundRow:
    """One round's row of the rounds table."""
    receipt = sent.value  # type: ignore[attr-defined]
    return RoundRow(
        tx_hash=sent.tx_hash,  # type: ignore[attr-defined]
        model_id=model.model_id,
        score=score,
        best_before=model.best_score,
        base_score=result.base_score_bps if result else model.best_score,
        payout_wei=Wei(receipt.payout_wei),
        updates=n_updates,
        accepted=sum(u.status == UpdateStatus.ACCEPTED for u in receipt.updates),
        method=result.method if result else "none valid",
        permutations=result.permutations if result else 0,
        weights_before="0x" + bytes(model.weights).hex(),
        gas_used=sent.gas_used,  # type: ignore[attr-defined]
        at=now,
    )
