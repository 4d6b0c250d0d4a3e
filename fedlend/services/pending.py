"""What a lender has still to judge: one event scan of a model, reconciled with the contract."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fedlend.chain.events import ModelCreated, RoundEvaluated, UpdateEvaluated, UpdateSubmitted
from fedlend.services.lender import LenderService
from fedlend.types import (
    MAX_ROUND_SIZE,
    BasisPoints,
    Digest,
    ModelRecord,
    ModelStatus,
    UpdateRecord,
    UpdateStatus,
    Wei,
)


@dataclass(frozen=True)
class Pending:
    """What one pass judges: the model, its weight history, its pending updates."""

    model: ModelRecord
    versions: tuple[Digest, ...]
    updates: tuple[UpdateRecord, ...]
    judged_ids: frozenset[int]  # updates the chain holds as judged (their nonces count as seen)
    judged: tuple[UpdateRecord, ...] = ()  # those judged updates, as submitted (for their blobs)
    waiting: int = 0  # pending updates left for a later pass (over MAX_ROUND_SIZE)


def find_pending(lender: LenderService, model: ModelRecord) -> Pending:
    """The updates still to judge, from one event scan reconciled with the contract's state."""
    client = lender.node.client
    open_for_review = model.status != ModelStatus.RECLAIMED and (
        client.chain_time() < model.review_ends
    )
    events = client.index.model_events(model.model_id)
    evaluated = {e.update_id for e in events if isinstance(e, UpdateEvaluated)}
    submitted = [_record(e) for e in events if isinstance(e, UpdateSubmitted)]
    candidates = [u for u in submitted if u.update_id not in evaluated]
    # events and storage can disagree (a lost event, a reorg): storage decides
    stored = client.update_statuses([u.update_id for u in candidates])
    pending = [u for u in candidates if stored[u.update_id] == UpdateStatus.PENDING]
    judged = evaluated | {u.update_id for u in candidates} - {u.update_id for u in pending}
    if not open_for_review:
        pending = []
    return Pending(
        model=model,
        versions=tuple(versions_from(events)),
        updates=tuple(pending[:MAX_ROUND_SIZE]),
        judged_ids=frozenset(judged),
        judged=tuple(u for u in submitted if u.update_id in judged),
        waiting=max(0, len(pending) - MAX_ROUND_SIZE),
    )


def weight_versions(lender: LenderService, model_id: int) -> list[Digest]:
    """Every weights digest the model has had, oldest first (from events alone)."""
    return versions_from(lender.node.client.index.model_events(model_id))


def versions_from(events: Sequence[object]) -> list[Digest]:
    """The weights history in a model's events: its creation, then every improving round."""
    versions: list[Digest] = []
    for event in events:
        if isinstance(event, ModelCreated):
            versions.append(event.weights)
        elif isinstance(event, RoundEvaluated) and event.score > event.previous_best:
            versions.append(event.new_weights)
    return versions


def _record(e: UpdateSubmitted) -> UpdateRecord:
    return UpdateRecord(
        e.update_id,
        e.model_id,
        e.submitter,
        e.digest,
        e.submitted_at,
        UpdateStatus.PENDING,
        BasisPoints(0),
        Wei(0),
    )
