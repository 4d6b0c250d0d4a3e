"""One federated run as two pure steps, shared by every engine (in-process loop, Flower/Ray).

`owner_update` is what an owner does in a round (fl.train.train_update from the global weights,
seeded per owner and round); `Lender.lender_round` (fl.rounds) is what the lender does with a
round's replies. `run_in_process` chains them in one process (behind `fedlend simulate`, with a
real privacy ledger per owner when given one; an owner whose training fails, e.g. too few loans
or an exhausted budget, sits the round out and is counted, it never stops the run);
fl.flower_engine runs the same two steps as Flower ClientApps and a ServerApp, so for the same
seeds both give the same weights, bit for bit.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from fedlend_core.errors import FedlendError
from fedlend_core.progress import Progress
from fl.dp import Mechanism
from fl.models import Weights
from fl.rounds import EngineRun, Lender, RoundRecord
from fl.splits import Split
from fl.strategy import StrategyConfig
from fl.train import BudgetAccount, TrainConfig, TrainHooks, train_update

__all__ = [
    "POLICIES",
    "EngineRun",
    "FederatedTask",
    "Lender",
    "OwnerReply",
    "Progress",
    "RoundRecord",
    "epochs_for",
    "owner_update",
    "run_in_process",
]

POLICIES = ("shapley", "fedavg")


def epochs_for(epsilon: float | None) -> int:
    """Local epochs per round: fewer steps under a small budget (scripts/bench_quality.py: 5 at
    eps <= 1 gave a 5-seed mean of 0.6933 against 0.6905 with 3)."""
    return 5 if epsilon is not None and epsilon <= 1.0 else 10


@dataclass(frozen=True)
class FederatedTask:
    """What to run: the parties' data, rounds, the owners' total epsilon, the policy, the seed."""

    split: Split = field(repr=False)
    rounds: int = 3
    epsilon: float | None = 3.0  # each owner's total over all rounds; None = no DP
    delta: float = 1e-5
    epochs: int | None = None  # local epochs per round; None = epochs_for(epsilon)
    seed: int = 0
    strategy: StrategyConfig = field(default_factory=StrategyConfig)
    policy: str = "shapley"  # or "fedavg" (the plain baseline; see fl.rounds)
    bounty_wei: int = 10**18  # notional bounty for the payout figures
    target_bps: int = 7500  # notional target score (the payout rule's denominator)

    @property
    def owners(self) -> int:
        """How many owners take part."""
        return len(self.split.owners)

    @property
    def local_epochs(self) -> int:
        """Local epochs per round."""
        return self.epochs if self.epochs is not None else epochs_for(self.epsilon)

    def train_config(self, owner: int, round_index: int) -> TrainConfig:
        """Owner `owner`'s training settings in round `round_index` (its own seed)."""
        return TrainConfig(
            self.epsilon,
            delta=self.delta,
            epochs=self.local_epochs,
            rounds=self.rounds,
            seed=self.seed * 1_000_003 + round_index * 1009 + owner,
        )


@dataclass(frozen=True)
class OwnerReply:
    """What one owner sends back for a round (the update and what it cost)."""

    owner: int
    weights: Weights
    n_examples: int
    epsilon: float | None
    delta: float
    mechanism: Mechanism | None


def owner_update(
    task: FederatedTask,
    owner: int,
    round_index: int,
    weights: Weights,
    account: BudgetAccount | None = None,
) -> OwnerReply:
    """Owner `owner`'s local training in round `round_index` (0-based) from the global weights;
    `account` (its privacy ledger) is checked before and charged after."""
    config = task.train_config(owner, round_index)
    data = task.split.owners[owner]
    result = train_update(task.split.spec, weights, data, config, hooks=TrainHooks(account=account))
    return OwnerReply(
        owner, result.weights, result.n_examples, result.epsilon, result.delta, result.mechanism
    )


def run_in_process(
    task: FederatedTask,
    progress: Progress | None = None,
    accounts: Sequence[BudgetAccount | None] | None = None,
) -> EngineRun:
    """Every owner and the lender in this process, one after another (see the module docstring)."""
    report = progress or (lambda _f, _m: None)
    started = time.perf_counter()
    lender = Lender.start(task)
    books = list(accounts) if accounts is not None else [None] * task.owners
    n, total = task.owners, task.rounds * task.owners
    for r in range(task.rounds):
        replies, failed = [], 0
        for i in range(n):
            report((r * n + i) / total, f"round {r + 1}/{task.rounds}, owner {i + 1}")
            try:
                replies.append(owner_update(task, i, r, lender.weights, books[i]))
            except FedlendError:
                failed += 1
        lender.lender_round(replies, failed)
        report((r + 1) / task.rounds, f"round {r + 1}/{task.rounds} judged")
    return lender.finish("in-process", started)
