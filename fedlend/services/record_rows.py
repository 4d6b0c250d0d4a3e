"""The rows of each role's local records, one frozen dataclass per table.

The lender keeps evaluations, rounds and nonces; the owner submissions and datasets. Each type's
first field is its table's key. `fedlend.storage.rows` maps them to SQLite and back, checking
every stored value's type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from fedlend_core.units import Wei


@dataclass(frozen=True)
class EvaluationRow:
    """The lender's verdict on one update (what was sent on-chain, and why)."""

    TABLE: ClassVar[str] = "evaluations"

    update_id: int
    model_id: int
    submitter: str
    status: str  # the UpdateStatus name, lower case
    score: int  # basis points
    reward_wei: Wei
    reason: str
    tx_hash: str
    gas_used: int
    at: float
    epsilon: float | None = None
    delta: float | None = None
    n_examples: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    contribution: float | None = None  # the Shapley value; None if the update never opened
    nonce: str | None = None
    share_bps: int = 0  # of the round's payout
    std_error: float = 0.0  # of the Shapley estimate (0 when exact)


@dataclass(frozen=True)
class RoundRow:
    """One evaluateRound the lender sent."""

    TABLE: ClassVar[str] = "rounds"

    tx_hash: str
    model_id: int
    score: int
    best_before: int
    base_score: int
    payout_wei: Wei
    updates: int
    accepted: int
    method: str  # how the Shapley values were found: "exact", "monte carlo", "none valid"
    permutations: int
    weights_before: str  # 0x-hex digest
    gas_used: int
    at: float


@dataclass(frozen=True)
class NonceRow:
    """A judged update's signed nonce re-read from its blob (None: it never opened)."""

    TABLE: ClassVar[str] = "nonces"

    update_id: int
    model_id: int
    nonce: str | None


@dataclass(frozen=True)
class SubmissionRow:
    """One update this owner submitted, with what it cost and what it did locally."""

    TABLE: ClassVar[str] = "submissions"

    update_id: int
    model_id: int
    dataset: str  # the dataset's sha256
    digest: str  # the sealed blob's digest, hex
    epsilon: float
    delta: float
    n_examples: int
    local_before: float | None
    local_after: float | None
    tx_hash: str
    gas_used: int
    at: float


@dataclass(frozen=True)
class DatasetRow:
    """A CSV this owner keeps on this machine."""

    TABLE: ClassVar[str] = "datasets"

    sha256: str
    name: str
    path: str
    rows: int
    at: float
