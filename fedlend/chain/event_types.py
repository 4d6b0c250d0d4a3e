"""ModelRepository's events, one frozen dataclass each, as fedlend.chain.events decodes them."""

from __future__ import annotations

from dataclasses import dataclass

from fedlend.types import Address, BasisPoints, Digest, UpdateStatus, Wei


@dataclass(frozen=True)
class LogPosition:
    """Where an event was emitted; events sort by (block_number, log_index)."""

    block_number: int
    log_index: int
    tx_hash: str


@dataclass(frozen=True)
class ModelCreated:
    """A lender escrowed a bounty for a model."""

    at: LogPosition
    model_id: int
    lender: Address
    weights: Digest
    spec: Digest
    bounty_wei: Wei
    initial_score: BasisPoints
    target_score: BasisPoints
    deadline: int
    review_period: int


@dataclass(frozen=True)
class UpdateSubmitted:
    """A data owner offered an update to a model."""

    at: LogPosition
    model_id: int
    update_id: int
    submitter: Address
    digest: Digest
    submitted_at: int


@dataclass(frozen=True)
class UpdateEvaluated:
    """The lender scored an update; accepted ones carry the reward and the new weights."""

    at: LogPosition
    model_id: int
    update_id: int
    submitter: Address
    status: UpdateStatus
    score: BasisPoints
    reward_wei: Wei
    new_weights: Digest


@dataclass(frozen=True)
class RoundEvaluated:
    """The lender judged several updates at once; `accepted` of them shared `payout_wei`."""

    at: LogPosition
    model_id: int
    score: BasisPoints
    previous_best: BasisPoints
    payout_wei: Wei
    updates: int
    accepted: int
    new_weights: Digest


@dataclass(frozen=True)
class ReviewWindowClosed:
    """The review window closed: each unjudged update may claim `claim_share_wei`."""

    at: LogPosition
    model_id: int
    remaining_wei: Wei
    pending_count: int
    claim_share_wei: Wei


@dataclass(frozen=True)
class ModelCompleted:
    """A model reached its target score."""

    at: LogPosition
    model_id: int
    best_score: BasisPoints
    weights: Digest
    remaining_wei: Wei


@dataclass(frozen=True)
class BountyReclaimed:
    """The lender took back what was left of a bounty."""

    at: LogPosition
    model_id: int
    lender: Address
    amount_wei: Wei


@dataclass(frozen=True)
class Withdrawn:
    """An account was paid everything credited to it."""

    at: LogPosition
    account: Address
    amount_wei: Wei


ChainEvent = (
    ModelCreated
    | UpdateSubmitted
    | UpdateEvaluated
    | RoundEvaluated
    | ReviewWindowClosed
    | ModelCompleted
    | BountyReclaimed
    | Withdrawn
)
EVENT_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        ModelCreated,
        UpdateSubmitted,
        UpdateEvaluated,
        RoundEvaluated,
        ReviewWindowClosed,
        ModelCompleted,
        BountyReclaimed,
        Withdrawn,
    )
}
# contract argument name -> dataclass field name, where they differ
RENAMES = {
    "modelId": "model_id",
    "updateId": "update_id",
    "bounty": "bounty_wei",
    "initialScore": "initial_score",
    "targetScore": "target_score",
    "submittedAt": "submitted_at",
    "reward": "reward_wei",
    "newWeights": "new_weights",
    "bestScore": "best_score",
    "remaining": "remaining_wei",
    "amount": "amount_wei",
    "reviewPeriod": "review_period",
    "previousBest": "previous_best",
    "payout": "payout_wei",
    "pendingCount": "pending_count",
    "claimShare": "claim_share_wei",
}
