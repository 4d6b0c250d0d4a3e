"""The lender's side of a federated run: judge each round, book its figures, sum the payouts.

`policy="shapley"` is THE PRODUCT POLICY (fl.strategy.ShapleyFedAvg on the lender's validation
set): each round's updates are valued, the positive ones merged, and the round is kept only if
it beats the best validation score so far (else every update is rejected, as the contract does);
each owner's Shapley values and notional rewards (the contract's payout rule on a notional
bounty, split by the round's shares) are summed over rounds. `policy="fedavg"` is the plain
FedAvg baseline (every update merged, nothing judged). Every engine (fl.engine in one process,
fl.flower_engine on Ray) drives the same `Lender`, so for the same replies they agree bit for bit.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from fl.composition import Charge, compose
from fl.contribution import contract_reward
from fl.evaluate import metric_value, score, score_bps
from fl.merge import MergeInput, fedavg
from fl.models import Weights, init_weights
from fl.strategy import RoundResult, RoundUpdate, ShapleyFedAvg

if TYPE_CHECKING:
    from fl.engine import FederatedTask, OwnerReply


@dataclass(frozen=True)
class Verdict:
    """What the policy decided in a round."""

    accepted: bool
    score_bps: int  # validation score of the round's aggregate
    best_bps: int  # best before the round
    updates: int
    included: int
    method: str
    permutations: int
    max_std_error: float
    payout_wei: int


@dataclass(frozen=True)
class RoundRecord(Verdict):
    """One round as the lender judged it (the verdict, when, how long, and the test AUC after)."""

    round: int
    policy_seconds: float
    test_auc: float  # of the global model after the round

    def to_dict(self) -> dict[str, object]:
        """JSON-able fields."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class EngineRun:
    """A finished run: final weights, the lender's rounds, privacy spent, payouts, time."""

    engine: str
    epsilon: float | None
    policy: str
    test_auc: float
    validation_auc: float
    seconds: float
    epsilon_spent: float | None  # largest per-owner total (RDP composition of its runs)
    epochs: int
    rounds: tuple[RoundRecord, ...]
    shapley: list[float] = field(default_factory=list)  # per owner, summed over rounds
    rewards_wei: list[int] = field(default_factory=list)  # per owner, notional bounty
    failed_trainings: int = 0
    weights: Weights = field(repr=False, compare=False, default_factory=dict)

    @property
    def label(self) -> str:
        """ "off" or the epsilon as text."""
        return "off" if self.epsilon is None else f"{self.epsilon:g}"

    @property
    def round_scores_bps(self) -> tuple[int, ...]:
        """Each round's aggregate validation score."""
        return tuple(r.score_bps for r in self.rounds)

    @property
    def round_accepted(self) -> tuple[bool, ...]:
        """Whether each round was kept."""
        return tuple(r.accepted for r in self.rounds)

    @property
    def round_test_aucs(self) -> list[float]:
        """The global model's test AUC after each round."""
        return [r.test_auc for r in self.rounds]

    @property
    def seconds_per_round(self) -> float:
        """Wall seconds per round."""
        return self.seconds / max(1, len(self.rounds))

    def to_dict(self) -> dict[str, object]:
        """JSON-able fields."""
        skip = ("weights", "rounds", "engine", "epochs")
        out: dict[str, object] = {k: v for k, v in self.__dict__.items() if k not in skip}
        out["round_test_aucs"] = self.round_test_aucs
        out["seconds_per_round"] = self.seconds_per_round
        out["local_epochs"] = self.epochs
        out["rounds"] = [r.to_dict() for r in self.rounds]
        return out


@dataclass
class Lender:
    """The lender during a run: the policy, the current weights, the best score, the books."""

    task: FederatedTask
    weights: Weights
    judge: ShapleyFedAvg
    initial_bps: int
    best_bps: int
    remaining_wei: int
    records: list[RoundRecord] = field(default_factory=list)
    shapley: list[float] = field(default_factory=list)
    rewards: list[int] = field(default_factory=list)
    charges: dict[int, list[Charge]] = field(default_factory=dict)
    failed: int = 0

    @classmethod
    def start(cls, task: FederatedTask) -> Lender:
        """The initial model (the spec's seeded initial weights) and its validation score."""
        spec, val = task.split.spec, task.split.validation
        weights = init_weights(spec, seed=task.seed)
        judge = ShapleyFedAvg(spec, val.X, val.labels, task.strategy)
        initial = score_bps(spec, score(spec, weights, val.X, val.labels))
        n = task.owners
        return cls(
            task,
            weights,
            judge,
            initial,
            initial,
            task.bounty_wei,
            shapley=[0.0] * n,
            rewards=[0] * n,
        )

    def lender_round(self, replies: Sequence[OwnerReply], failed: int = 0) -> RoundRecord:
        """Judge one round's replies (any order) and move to the merged model if it wins."""
        started = time.perf_counter()
        ordered = sorted(replies, key=lambda r: r.owner)
        updates = [RoundUpdate(r.owner, r.weights, self.weights, r.n_examples) for r in ordered]
        if self.task.policy == "fedavg":
            verdict = self._fedavg(updates)
        else:
            judged = self.judge.evaluate_round(self.weights, updates, best_bps=self.best_bps)
            verdict = self._shapley(judged)
        self.failed += failed
        for r in ordered:
            if r.epsilon is not None:
                charge = Charge(r.epsilon, r.delta, r.mechanism, "", 0.0)
                self.charges.setdefault(r.owner, []).append(charge)
        test = self.task.split.test
        record = RoundRecord(
            **asdict(verdict),
            round=len(self.records) + 1,
            policy_seconds=time.perf_counter() - started,
            test_auc=metric_value(
                self.task.split.spec, self.weights, test.X, test.labels, "roc_auc"
            ),
        )
        self.records.append(record)
        return record

    def _fedavg(self, updates: list[RoundUpdate]) -> Verdict:
        """Plain FedAvg: every update merged, nothing judged."""
        inputs = [MergeInput(u.weights, u.base, u.n_examples) for u in updates]
        merged = fedavg(self.weights, inputs)
        spec, val = self.task.split.spec, self.task.split.validation
        new_bps = score_bps(spec, score(spec, merged, val.X, val.labels))
        n = len(updates)
        verdict = Verdict(True, new_bps, self.best_bps, n, n, "fedavg", 0, 0.0, 0)
        self.weights, self.best_bps = merged, max(self.best_bps, new_bps)
        return verdict

    def _shapley(self, judged: RoundResult) -> Verdict:
        """The product policy: keep the positive, accept if it beats the best, pay shares."""
        task, payout = self.task, 0
        if judged.improves:
            payout = contract_reward(
                bounty_wei=task.bounty_wei,
                remaining_wei=self.remaining_wei,
                score=judged.score_bps,
                best=self.best_bps,
                initial=self.initial_bps,
                target=task.target_bps,
            )
            self.remaining_wei -= payout
            self.weights, self.best_bps = judged.weights, judged.score_bps
        for key, value, share in zip(
            judged.keys, judged.values, judged.payout_shares_bps, strict=True
        ):
            self.shapley[key] += value
            self.rewards[key] += payout * share // 10_000
        return Verdict(
            judged.improves,
            judged.score_bps,
            judged.best_bps,
            len(judged.keys),
            sum(judged.included),
            judged.method,
            judged.permutations,
            max(judged.std_errors, default=0.0),
            payout,
        )

    def finish(self, engine: str, started: float) -> EngineRun:
        """The run's figures (test AUC on the out-of-time loans)."""
        task, spec = self.task, self.task.split.spec
        spent = [compose(c).epsilon for c in self.charges.values()]
        shapley = task.policy == "shapley"
        val = task.split.validation
        return EngineRun(
            engine=engine,
            epsilon=task.epsilon,
            policy=task.policy,
            test_auc=self.records[-1].test_auc,
            validation_auc=metric_value(spec, self.weights, val.X, val.labels, "roc_auc"),
            seconds=time.perf_counter() - started,
            epsilon_spent=max(spent) if spent else None,
            epochs=task.local_epochs,
            rounds=tuple(self.records),
            shapley=self.shapley if shapley else [],
            rewards_wei=self.rewards if shapley else [],
            failed_trainings=self.failed,
            weights=self.weights,
        )
