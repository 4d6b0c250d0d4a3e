"""One federated run as two pure steps, shared by every engine (in-process loop, Flower/Ray).

`owner_update` is what an owner does in a round (fl.train.train_update from the global weights,
seeded per owner and round); `lender_round` is what the lender does with a round's updates
(fl.strategy.ShapleyFedAvg: Shapley-valued FedAvg, kept only if it beats the best score so far).
`run_in_process` chains them in one process; fl.flower_engine runs the same two steps as Flower
ClientApps and a ServerApp, so for the same seeds both give the same weights, bit for bit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from fl.composition import Charge, compose
from fl.dp import Mechanism
from fl.evaluate import metric_value
from fl.models import Weights, init_weights
from fl.splits import Split
from fl.strategy import RoundUpdate, ShapleyFedAvg, StrategyConfig
from fl.train import TrainResult, train_update

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class FederatedTask:
    """What to run: the parties' data, how many rounds, the owners' total epsilon, the seed."""

    split: Split = field(repr=False)
    rounds: int = 3
    epsilon: float | None = 3.0  # each owner's total over all rounds; None = no DP
    delta: float = 1e-5
    epochs: int = 10
    seed: int = 0
    strategy: StrategyConfig = field(default_factory=StrategyConfig)

    @property
    def owners(self) -> int:
        """How many owners take part."""
        return len(self.split.owners)


@dataclass(frozen=True)
class OwnerReply:
    """What one owner sends back for a round (the update and what it cost)."""

    owner: int
    weights: Weights
    n_examples: int
    epsilon: float | None
    delta: float
    mechanism: Mechanism | None


@dataclass(frozen=True)
class EngineRun:
    """A finished run: final weights, per-round lender verdicts, privacy spent, time."""

    engine: str
    weights: Weights = field(repr=False)
    round_scores_bps: tuple[int, ...]
    round_accepted: tuple[bool, ...]
    test_auc: float
    epsilon_spent: float | None  # largest per-owner total (RDP composition of its runs)
    seconds: float


def owner_update(task: FederatedTask, owner: int, round_index: int, weights: Weights) -> OwnerReply:
    """Owner `owner`'s local training in round `round_index` (0-based) from the global weights."""
    result: TrainResult = train_update(
        task.split.spec,
        weights,
        task.split.owners[owner],
        epsilon=task.epsilon,
        delta=task.delta,
        epochs=task.epochs,
        rounds=task.rounds,
        seed=task.seed * 1_000_003 + round_index * 1009 + owner,
    )
    return OwnerReply(
        owner, result.weights, result.n_examples, result.epsilon, result.delta, result.mechanism
    )


@dataclass
class Lender:
    """The lender's side of a run: the policy, the current weights and the best score so far."""

    task: FederatedTask
    weights: Weights
    best_bps: int = -1
    scores: list[int] = field(default_factory=list)
    accepted: list[bool] = field(default_factory=list)
    charges: dict[int, list[Charge]] = field(default_factory=dict)

    @classmethod
    def start(cls, task: FederatedTask) -> Lender:
        """The initial model (the spec's seeded initial weights)."""
        return cls(task, init_weights(task.split.spec, seed=task.seed))

    def policy(self) -> ShapleyFedAvg:
        """The round policy on the lender's validation loans."""
        val = self.task.split.validation
        return ShapleyFedAvg(self.task.split.spec, val.X, val.labels, self.task.strategy)

    def lender_round(self, replies: Sequence[OwnerReply]) -> None:
        """Judge one round's replies (in owner order) and move to the merged model if it wins."""
        ordered = sorted(replies, key=lambda r: r.owner)
        updates = [RoundUpdate(r.owner, r.weights, self.weights, r.n_examples) for r in ordered]
        best = None if self.best_bps < 0 else self.best_bps  # round 1: beat the initial model
        result = self.policy().evaluate_round(self.weights, updates, best_bps=best)
        self.best_bps = result.best_bps
        if result.improves:
            self.weights, self.best_bps = result.weights, result.score_bps
        self.scores.append(result.score_bps)
        self.accepted.append(result.improves)
        for r in ordered:
            if r.epsilon is not None:
                charge = Charge(r.epsilon, r.delta, r.mechanism, "", 0.0)
                self.charges.setdefault(r.owner, []).append(charge)

    def finish(self, engine: str, started: float) -> EngineRun:
        """The run's figures (test AUC on the out-of-time loans)."""
        test = self.task.split.test
        spent = [compose(c).epsilon for c in self.charges.values()]
        return EngineRun(
            engine=engine,
            weights=self.weights,
            round_scores_bps=tuple(self.scores),
            round_accepted=tuple(self.accepted),
            test_auc=metric_value(
                self.task.split.spec, self.weights, test.X, test.labels, "roc_auc"
            ),
            epsilon_spent=max(spent) if spent else None,
            seconds=time.perf_counter() - started,
        )


def run_in_process(task: FederatedTask, progress: Progress | None = None) -> EngineRun:
    """Every owner and the lender in this process, one after another."""
    report = progress or (lambda _f, _m: None)
    started = time.perf_counter()
    lender = Lender.start(task)
    for r in range(task.rounds):
        replies = [owner_update(task, i, r, lender.weights) for i in range(task.owners)]
        lender.lender_round(replies)
        report((r + 1) / task.rounds, f"round {r + 1}/{task.rounds} judged")
    return lender.finish("in-process", started)
