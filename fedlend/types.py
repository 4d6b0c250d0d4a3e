"""Value types shared across fedlend: Wei, digests and frozen records of on-chain state."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import NewType

# Units live in the shared core (fl uses them too); re-exported so fedlend.types has them all.
from fedlend_core.units import MAX_SCORE, WEI_PER_ETH, BasisPoints, Wei, to_bps  # noqa: F401

Address = NewType("Address", str)  # checksummed 0x-address
Digest = NewType("Digest", bytes)  # 32-byte sha2-256 digest of a stored blob (rebuilds a CIDv1)

HOUR = 3_600
DAY = 86_400
MIN_REVIEW_PERIOD = HOUR  # the contract's bounds on a lender's promise to judge every update
MAX_REVIEW_PERIOD = 30 * DAY
DEFAULT_REVIEW_PERIOD = 7 * DAY
MAX_ROUND_SIZE = 100  # the most updates one evaluateRound may judge
NO_WEI = Wei(0)  # a zero amount, typed


class ModelStatus(IntEnum):
    """Lifecycle of a model's bounty, as stored by the contract."""

    OPEN = 0
    COMPLETED = 1
    RECLAIMED = 2


class UpdateStatus(IntEnum):
    """Lifecycle of one submitted update, as stored by the contract."""

    PENDING = 0
    ACCEPTED = 1
    REJECTED = 2
    EXPIRED = 3  # claimed by its submitter after the lender's review window closed


@dataclass(frozen=True)
class ModelRecord:
    """One model as the contract holds it."""

    model_id: int
    lender: Address
    weights: Digest
    spec: Digest
    bounty_wei: Wei
    remaining_wei: Wei
    initial_score: BasisPoints
    target_score: BasisPoints
    best_score: BasisPoints
    deadline: int  # unix seconds
    status: ModelStatus
    update_count: int
    review_period: int = DEFAULT_REVIEW_PERIOD  # seconds after the deadline to judge every update
    pending_count: int = 0  # updates not yet judged nor claimed
    claim_share_wei: Wei = NO_WEI  # what each unjudged update may claim once the window closed
    window_closed: bool = False  # the claim share has been fixed

    @property
    def review_ends(self) -> int:
        """Unix time after which the lender can no longer judge and owners may claim."""
        return self.deadline + self.review_period

    @property
    def is_open(self) -> bool:
        """True while the model accepts submissions (the deadline is checked separately)."""
        return self.status == ModelStatus.OPEN


@dataclass(frozen=True)
class UpdateRecord:
    """One submitted update as the contract holds it."""

    update_id: int
    model_id: int
    submitter: Address
    digest: Digest
    submitted_at: int  # unix seconds (block timestamp)
    status: UpdateStatus
    score: BasisPoints
    reward_wei: Wei
