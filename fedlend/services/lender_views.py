"""What the lender's model page shows: the bounty, its updates and score history, from events.

Status, scores and rewards come from the chain (events, via the local EventCache); reasons,
privacy figures and contribution values are local extras from the lender's evaluation records,
and are simply missing when those records are (another machine, or a lost database).
"""

from __future__ import annotations

from dataclasses import dataclass

from fedlend.chain.events import (
    BountyReclaimed,
    ModelCompleted,
    ModelCreated,
    UpdateEvaluated,
    UpdateSubmitted,
)
from fedlend.services.catalog import Bounty
from fedlend.services.event_cache import EventCache, TimedEvent
from fedlend.services.lender import LenderService
from fedlend.services.record_rows import EvaluationRow
from fedlend.types import ModelStatus, UpdateStatus


@dataclass(frozen=True)
class UpdateRow:
    """One submitted update as the model page lists it."""

    update_id: int
    submitter: str
    submitted_at: int
    status: UpdateStatus
    score: int
    reward_wei: int
    evaluated_at: int | None
    tx_hash: str | None
    local: EvaluationRow | None  # this machine's record of judging it
    share: float | None  # this update's share of its round's payout (from the local record)

    @property
    def status_name(self) -> str:
        """pending / accepted / rejected."""
        return self.status.name.lower()


@dataclass(frozen=True)
class HistoryPoint:
    """The model's score after one accepted update (or at posting), and the paid total so far."""

    label: str
    update_id: int | None
    timestamp: int
    score: int
    paid_wei: int


@dataclass(frozen=True)
class ModelDetail:
    """Everything the model page and the model card need about one model."""

    bounty: Bounty
    is_own: bool
    updates: list[UpdateRow]
    history: list[HistoryPoint]
    posted_at: int | None
    completed_at: int | None
    reclaimed_wei: int

    @property
    def paid_wei(self) -> int:
        """Rewards paid to data owners so far (exact wei)."""
        return self.history[-1].paid_wei if self.history else 0

    @property
    def pending(self) -> list[UpdateRow]:
        """Updates not yet evaluated."""
        return [u for u in self.updates if u.status == UpdateStatus.PENDING]

    @property
    def accepted(self) -> list[UpdateRow]:
        """Updates that improved the model and were paid."""
        return [u for u in self.updates if u.status == UpdateStatus.ACCEPTED]

    @property
    def missing_local(self) -> int:
        """Evaluated updates with no local evaluation record on this machine."""
        return sum(1 for u in self.updates if u.status != UpdateStatus.PENDING and not u.local)

    @property
    def can_reclaim(self) -> bool:
        """Whether the lender may take back what is left now (deadline passed or completed)."""
        record = self.bounty.record
        if not self.is_own or record.remaining_wei == 0:
            return False
        if record.status == ModelStatus.COMPLETED:
            return True
        return record.status == ModelStatus.OPEN and not self.bounty.accepting

    @property
    def can_evaluate(self) -> bool:
        """Whether pending updates can be evaluated now (own model, still open)."""
        return self.is_own and self.bounty.record.status == ModelStatus.OPEN


def model_detail(lender: LenderService, model_id: int, *, events: EventCache) -> ModelDetail:
    """The model's current record joined with its history from events and local extras."""
    bounty = lender.bounty(model_id)
    timed = events.model_events(lender.node.client, model_id)
    local = _local_evaluations(lender, model_id)
    updates = _update_rows(timed, local)
    return ModelDetail(
        bounty=bounty,
        is_own=bounty.record.lender.lower() == lender.node.address.lower(),
        updates=updates,
        history=_history(bounty, timed),
        posted_at=next((t.timestamp for t in timed if isinstance(t.event, ModelCreated)), None),
        completed_at=next(
            (t.timestamp for t in timed if isinstance(t.event, ModelCompleted)), None
        ),
        reclaimed_wei=sum(
            t.event.amount_wei for t in timed if isinstance(t.event, BountyReclaimed)
        ),
    )


def _local_evaluations(lender: LenderService, model_id: int) -> dict[int, EvaluationRow]:
    return {r.update_id: r for r in lender.records.rows(EvaluationRow, model_id=model_id)}


def _update_rows(timed: list[TimedEvent], local: dict[int, EvaluationRow]) -> list[UpdateRow]:
    verdicts = {t.event.update_id: t for t in timed if isinstance(t.event, UpdateEvaluated)}
    positive = sum(max(0.0, v.contribution or 0.0) for v in local.values())
    rows = []
    for item in timed:
        sub = item.event
        if not isinstance(sub, UpdateSubmitted):
            continue
        verdict = verdicts.get(sub.update_id)
        ev = verdict.event if verdict and isinstance(verdict.event, UpdateEvaluated) else None
        extra = local.get(sub.update_id)
        share = None
        if extra and ev is not None:
            share = extra.share_bps / 10_000  # of its round's payout, as sent on-chain
        elif extra and extra.contribution is not None and positive > 0:
            share = max(0.0, extra.contribution) / positive
        rows.append(
            UpdateRow(
                update_id=sub.update_id,
                submitter=sub.submitter,
                submitted_at=sub.submitted_at,
                status=ev.status if ev else UpdateStatus.PENDING,
                score=ev.score if ev else 0,
                reward_wei=ev.reward_wei if ev else 0,
                evaluated_at=verdict.timestamp if verdict else None,
                tx_hash=ev.at.tx_hash if ev else None,
                local=extra,
                share=share,
            )
        )
    return rows


def _history(bounty: Bounty, timed: list[TimedEvent]) -> list[HistoryPoint]:
    created = next((t for t in timed if isinstance(t.event, ModelCreated)), None)
    start = created.timestamp if created else 0
    points = [HistoryPoint("posted", None, start, bounty.record.initial_score, 0)]
    paid = 0
    for item in timed:
        ev = item.event
        if isinstance(ev, UpdateEvaluated) and ev.status == UpdateStatus.ACCEPTED:
            paid += ev.reward_wei
            points.append(
                HistoryPoint(f"#{ev.update_id}", ev.update_id, item.timestamp, ev.score, paid)
            )
    return points
