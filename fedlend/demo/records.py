"""The demo's records: what it runs (DemoConfig), who plays (Cast), what it reports (DemoResult)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypedDict

from fedlend.services.lender import LenderService
from fedlend.services.owner import OwnerService
from fedlend.types import Wei

Say = Callable[[str], None]
LENDER_ROWS = 4750  # half trains the lender's base model, half is its private validation set


@dataclass(frozen=True)
class DemoConfig:
    """What the demo runs; defaults are the documented main job."""

    owners: int = 5
    rounds: int = 3
    epsilon: float = 3.0  # each owner's TOTAL over all rounds
    delta: float = 1e-5
    bounty_eth: float = 10.0
    target: float = 0.72
    deadline_hours: float = 24.0
    seed: int = 0
    ghost_lender: bool = True  # also run the scenario of a lender who never evaluates
    verified: bool = False  # prove every round's score (zero-knowledge; minutes per proof)
    lender_rows: int = LENDER_ROWS  # the lender's loans (half of them its validation set)
    features: tuple[str, ...] | None = None  # None: every usable column (a test narrows it)


class OwnerOutcome(TypedDict):
    """One owner's line in the demo's result: paid, gas fees, balance change (wei), epsilon."""

    address: str
    paid_wei: int
    fees_wei: int
    balance_change_wei: int
    epsilon: float


@dataclass(frozen=True)
class Cast:
    """Who plays in the main scenario: the lender and the owners, with what the run tracks."""

    lender: LenderService
    owners: list[OwnerService]
    datasets: list[str]  # each owner's dataset (sha256), in owner order
    start_balances: list[Wei]  # each owner's balance before the demo
    fees: list[int]  # each owner's gas fees so far (added to as the demo runs)


@dataclass
class DemoResult:
    """Figures the demo reports (also as JSON)."""

    metric: str = "roc_auc"
    initial_score: int = 0
    final_score: int = 0
    target_score: int = 0
    bounty_wei: int = 0
    paid_wei: int = 0
    reclaimed_wei: int = 0
    unspent_wei: int = 0
    accepted: int = 0
    rejected: int = 0
    owners: list[OwnerOutcome] = field(default_factory=list)
    rounds: int = 0
    epsilon_per_owner: float = 0.0
    epsilon_budget: float = 0.0
    gas: dict[str, int] = field(default_factory=dict)
    score_path: list[int] = field(default_factory=list)
    test_auc_initial: float = 0.0
    test_auc_final: float = 0.0
    seconds: float = 0.0
    model_path: str = ""
    model_id: int = 0
    contract: str = ""
    rpc_url: str = ""
    checks: dict[str, bool] = field(default_factory=dict)
    round_details: list[dict[str, object]] = field(default_factory=list)
    ghost: dict[str, object] = field(default_factory=dict)
    verified: dict[str, Any] = field(default_factory=dict)  # proofs' figures (--verified only)
