"""One federated run of a simulation: R rounds of local DP training, judged by a lender policy.

`policy="shapley"` is THE PRODUCT POLICY (fl.strategy.ShapleyFedAvg on the lender's validation
set): each round's updates are valued, the positive ones merged, and the round is kept only if
it beats the best validation score so far (else every update is rejected, as the contract does);
each owner's Shapley values and notional rewards (the contract's payout rule on a notional
bounty, split by the round's shares) are summed over rounds. `policy="fedavg"` is the plain
FedAvg baseline (every update merged, nothing judged). An owner whose training fails (e.g. too
few loans) sits the round out and is counted; it never stops the run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from fedlend_core.errors import FedlendError
from fl.contribution import contract_reward
from fl.evaluate import metric_value, score, score_bps
from fl.merge import MergeInput, fedavg
from fl.models import Weights, init_weights
from fl.privacy import LedgerAccount
from fl.splits import Split
from fl.strategy import RoundUpdate, ShapleyFedAvg, StrategyConfig
from fl.train import Progress, train_update

POLICIES = ("shapley", "fedavg")


@dataclass(frozen=True)
class RunSettings:
    """What every run of one simulation shares."""

    rounds: int = 3
    delta: float = 1e-5
    seed: int = 0
    strategy: StrategyConfig = field(default_factory=StrategyConfig)
    bounty_wei: int = 10**18  # notional bounty for the payout figures
    target_bps: int = 7500  # notional target score (the payout rule's denominator)


@dataclass(frozen=True)
class RoundRecord:
    """One round as the lender judged it."""

    round: int
    accepted: bool
    score_bps: int  # validation score of the round's aggregate
    best_bps: int  # best before the round
    updates: int
    included: int
    method: str
    permutations: int
    max_std_error: float
    payout_wei: int
    policy_seconds: float
    test_auc: float  # of the global model after the round

    def to_dict(self) -> dict[str, object]:
        """JSON-able fields."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class RunResult:
    """One federated run (weights kept for saving, left out of JSON)."""

    epsilon: float | None
    policy: str
    test_auc: float
    validation_auc: float
    round_test_aucs: list[float]
    seconds: float
    seconds_per_round: float
    epsilon_spent: float | None  # largest per-owner total booked in the ledger
    epochs: int
    rounds: list[RoundRecord] = field(default_factory=list)
    shapley: list[float] = field(default_factory=list)  # per owner, summed over rounds
    rewards_wei: list[int] = field(default_factory=list)  # per owner, notional bounty
    failed_trainings: int = 0
    weights: Weights = field(repr=False, compare=False, default_factory=dict)

    @property
    def label(self) -> str:
        """ "off" or the epsilon as text."""
        return "off" if self.epsilon is None else f"{self.epsilon:g}"

    def to_dict(self) -> dict[str, object]:
        """JSON-able fields."""
        out = {k: v for k, v in self.__dict__.items() if k not in ("weights", "rounds")}
        out["local_epochs"] = out.pop("epochs")
        out["rounds"] = [r.to_dict() for r in self.rounds]
        return out


def epochs_for(epsilon: float | None) -> int:
    """Local epochs per round: fewer steps under a small budget (scripts/bench_quality.py: 5 at
    eps <= 1 gave a 5-seed mean of 0.6933 against 0.6905 with 3)."""
    return 5 if epsilon is not None and epsilon <= 1.0 else 10


@dataclass
class _State:
    """What a run carries from round to round (internal, mutable)."""

    weights: Weights
    initial: int
    best: int
    remaining: int
    shapley: list[float]
    rewards: list[int]
    failed: int = 0


def run_federated(
    split: Split,
    settings: RunSettings,
    epsilon: float | None,
    report: Progress,
    *,
    policy: str = "shapley",
    accounts: list[LedgerAccount | None] | None = None,
) -> RunResult:
    """R rounds of local training, each judged by `policy` (see the module docstring)."""
    started = time.perf_counter()
    spec, val, n = split.spec, split.validation, len(split.owners)
    weights = init_weights(spec, seed=settings.seed)
    accounts = accounts or [None] * n
    judge = ShapleyFedAvg(spec, val.X, val.labels, settings.strategy)
    initial = score_bps(spec, score(spec, weights, val.X, val.labels))
    state = _State(weights, initial, initial, settings.bounty_wei, [0.0] * n, [0] * n)
    records: list[RoundRecord] = []
    for r in range(settings.rounds):
        updates = _train_round(split, settings, epsilon, report, accounts, state, r)
        policy_started = time.perf_counter()
        if policy == "fedavg":
            fields = _fedavg_round(split, state, updates)
        else:
            fields = _shapley_round(judge, settings, state, updates)
        test_auc = metric_value(spec, state.weights, split.test.X, split.test.labels, "roc_auc")
        records.append(
            RoundRecord(
                r + 1,
                **fields,
                policy_seconds=time.perf_counter() - policy_started,
                test_auc=test_auc,
            )
        )
    seconds = time.perf_counter() - started
    return RunResult(
        epsilon=epsilon,
        policy=policy,
        test_auc=records[-1].test_auc,
        validation_auc=metric_value(spec, state.weights, val.X, val.labels, "roc_auc"),
        round_test_aucs=[rec.test_auc for rec in records],
        seconds=seconds,
        seconds_per_round=seconds / settings.rounds,
        epsilon_spent=_max_spent(accounts),
        epochs=epochs_for(epsilon),
        rounds=records,
        shapley=state.shapley if policy == "shapley" else [],
        rewards_wei=state.rewards if policy == "shapley" else [],
        failed_trainings=state.failed,
        weights=state.weights,
    )


def _train_round(
    split: Split,
    settings: RunSettings,
    epsilon: float | None,
    report: Progress,
    accounts: list[LedgerAccount | None],
    state: _State,
    r: int,
) -> list[RoundUpdate]:
    """Every owner trains from the global model; a failed training is counted and skipped."""
    n, updates = len(split.owners), []
    for i, data in enumerate(split.owners):
        done = (r * n + i + 1) / (settings.rounds * n)
        report(done, f"eps {_label(epsilon)}: round {r + 1}/{settings.rounds}, owner {i + 1}")
        try:
            result = train_update(
                split.spec,
                state.weights,
                data,
                epsilon=epsilon,
                delta=settings.delta,
                epochs=epochs_for(epsilon),
                rounds=settings.rounds,
                account=accounts[i],
                seed=settings.seed * 1_000_003 + r * 1009 + i,
            )
        except FedlendError:
            state.failed += 1
            continue
        updates.append(RoundUpdate(i, result.weights, state.weights, result.n_examples))
    return updates


def _fedavg_round(split: Split, state: _State, updates: list[RoundUpdate]) -> dict:
    """Plain FedAvg: every update merged, nothing judged."""
    merged = fedavg(state.weights, [MergeInput(u.weights, u.base, u.n_examples) for u in updates])
    val = split.validation
    new_bps = score_bps(split.spec, score(split.spec, merged, val.X, val.labels))
    fields = _fields(True, new_bps, state.best, len(updates), len(updates), "fedavg", 0, 0.0, 0)
    state.weights, state.best = merged, max(state.best, new_bps)
    return fields


def _shapley_round(
    judge: ShapleyFedAvg, settings: RunSettings, state: _State, updates: list[RoundUpdate]
) -> dict:
    """The product policy: value, keep the positive, accept if it beats the best, pay shares."""
    judged = judge.evaluate_round(state.weights, updates, best_bps=state.best)
    payout = 0
    if judged.improves:
        payout = contract_reward(
            bounty_wei=settings.bounty_wei,
            remaining_wei=state.remaining,
            score=judged.score_bps,
            best=state.best,
            initial=state.initial,
            target=settings.target_bps,
        )
        state.remaining -= payout
        state.weights, state.best = judged.weights, judged.score_bps
    for key, value, share in zip(judged.keys, judged.values, judged.payout_shares_bps, strict=True):
        state.shapley[key] += value
        state.rewards[key] += payout * share // 10_000
    return _fields(
        judged.improves,
        judged.score_bps,
        judged.best_bps,
        len(updates),
        sum(judged.included),
        judged.method,
        judged.permutations,
        max(judged.std_errors, default=0.0),
        payout,
    )


def _fields(*values: object) -> dict[str, object]:
    names = (
        "accepted",
        "score_bps",
        "best_bps",
        "updates",
        "included",
        "method",
        "permutations",
        "max_std_error",
        "payout_wei",
    )
    return dict(zip(names, values, strict=True))


def _max_spent(accounts: list[LedgerAccount | None]) -> float | None:
    spent = [a.ledger.spent(a.owner, a.dataset).epsilon for a in accounts if a is not None]
    return max(spent) if spent else None


def _label(epsilon: float | None) -> str:
    return "off" if epsilon is None else f"{epsilon:g}"
