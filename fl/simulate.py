"""Federated simulation on real loans: N owners (random or by state), a lender, an out-of-time test.

Splits: test = loans issued from `test_from` on (out of time); lender validation = a random
`validation_size` of the rest (the lender builds the spec from it); owners share what remains.
Baselines are scikit-learn logistic regression (C=1, non-private): pooled over all owners' loans,
and each owner alone. Federated runs: R rounds of local training from the global model, then
FedAvg of the owners' new weights; with DP each owner's epsilon is its TOTAL over all rounds
(noise calibrated for R runs, RDP-composed, booked in a real privacy ledger per owner).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from fl.contribution import leave_one_out, shapley
from fl.data import REFERENCE_DATE, load_loans
from fl.evaluate import metric_value
from fl.features import EncodedData, build_spec, encode
from fl.merge import MergeInput, fedavg
from fl.models import init_weights
from fl.privacy import LedgerAccount, PrivacyLedger
from fl.spec import ModelSpec
from fl.train import Progress, train_update

SPLITS = ("random", "state")


@dataclass(frozen=True)
class SimulationConfig:
    """What to simulate."""

    owners: int = 10
    rounds: int = 3
    split: str = "random"
    epsilons: tuple[float | None, ...] = (None, 1.0, 3.0, 8.0)
    delta: float = 1e-5
    validation_size: int = 2375
    test_from: str = "2011-05"
    model: str = "logreg"
    seed: int = 0
    contributions: bool = True  # leave-one-out + Shapley of the last round (first DP run)


@dataclass(frozen=True)
class RunResult:
    """One federated run."""

    epsilon: float | None
    test_auc: float
    validation_auc: float
    round_test_aucs: list[float]
    seconds: float
    seconds_per_round: float
    max_epsilon_spent: float | None  # largest per-owner total booked in the ledger
    epochs: int


@dataclass(frozen=True)
class SimulationReport:
    """Everything a simulation measured."""

    config: SimulationConfig
    owner_sizes: list[int]
    n_validation: int
    n_test: int
    n_inputs: int
    pooled_auc: float
    single_aucs: list[float]
    runs: list[RunResult]
    contributions: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def best_single_auc(self) -> float:
        """The best owner's AUC alone."""
        return max(self.single_aucs)

    def run(self, epsilon: float | None) -> RunResult:
        """The run at this epsilon (None = no DP)."""
        return next(r for r in self.runs if r.epsilon == epsilon)

    def to_dict(self) -> dict[str, object]:
        """JSON-able summary."""
        out = asdict(self)
        out["best_single_auc"] = self.best_single_auc
        out["config"]["epsilons"] = list(self.config.epsilons)
        return out


@dataclass(frozen=True)
class Split:
    """Encoded data of every party."""

    spec: ModelSpec
    owners: list[EncodedData]
    validation: EncodedData
    test: EncodedData


def split_loans(frame: pd.DataFrame, config: SimulationConfig) -> Split:
    """Out-of-time test, random lender validation, owners by `config.split`."""
    if config.split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    is_test = frame[REFERENCE_DATE].str.strip() >= config.test_from
    test, rest = frame[is_test], frame[~is_test]
    order = np.random.default_rng(config.seed).permutation(len(rest))
    validation = rest.iloc[order[: config.validation_size]]
    pool = rest.iloc[order[config.validation_size :]]
    spec = build_spec(validation, model=config.model)
    groups = _by_state(pool, config.owners) if config.split == "state" else _at_random(pool, config)
    return Split(
        spec=spec,
        owners=[encode(spec, pool.iloc[idx]) for idx in groups],
        validation=encode(spec, validation),
        test=encode(spec, test),
    )


def _at_random(pool: pd.DataFrame, config: SimulationConfig) -> list[np.ndarray]:
    return list(np.array_split(np.arange(len(pool)), config.owners))


def _by_state(pool: pd.DataFrame, owners: int) -> list[np.ndarray]:
    """Whole states per owner, greedily balancing sizes (largest state first)."""
    states = pool["addr_state"].fillna("??").to_numpy()
    sizes = pd.Series(states).value_counts()
    ranked = sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))
    totals, members = [0] * owners, [[] for _ in range(owners)]
    for state, size in ranked:
        slot = min(range(owners), key=lambda i: (totals[i], i))
        totals[slot] += size
        members[slot].append(state)
    return [np.flatnonzero(np.isin(states, group)) for group in members]


def _sk_auc(train: list[EncodedData], test: EncodedData) -> float:
    X = np.concatenate([d.X for d in train])
    y = np.concatenate([d.y for d in train if d.y is not None])
    model = LogisticRegression(C=1.0, max_iter=2000).fit(X, y)
    return float(roc_auc_score(test.y, model.predict_proba(test.X)[:, 1]))


def epochs_for(epsilon: float | None) -> int:
    """Local epochs per round: fewer steps under a small budget (measured best here)."""
    return 3 if epsilon is not None and epsilon <= 1.0 else 10


def run_federated(
    split: Split,
    config: SimulationConfig,
    epsilon: float | None,
    report: Progress,
    ledger: PrivacyLedger | None = None,
) -> tuple[RunResult, list[MergeInput], dict]:
    """R rounds of local training + FedAvg; returns the result and the last round's updates."""
    started = time.perf_counter()
    spec, weights, epochs = (
        split.spec,
        init_weights(split.spec, seed=config.seed),
        epochs_for(epsilon),
    )
    round_aucs: list[float] = []
    last: list[MergeInput] = []
    account_of: dict[int, LedgerAccount | None] = {}
    base = weights
    for r in range(config.rounds):
        last, base = [], weights
        for i, data in enumerate(split.owners):
            account = _account(ledger, i, epsilon, config) if r == 0 else account_of.get(i)
            account_of[i] = account
            result = train_update(
                spec,
                base,
                data,
                epsilon=epsilon,
                delta=config.delta,
                epochs=epochs,
                rounds=config.rounds,
                seed=config.seed * 1_000_003 + r * 1009 + i,
                account=account,
            )
            last.append(MergeInput(result.weights, base, result.n_examples))
            done = (r * len(split.owners) + i + 1) / (config.rounds * len(split.owners))
            report(done, f"eps={_eps(epsilon)} round {r + 1}/{config.rounds} owner {i + 1}")
        weights = fedavg(base, last)
        round_aucs.append(metric_value(spec, weights, split.test.X, split.test.y, "roc_auc"))
    seconds = time.perf_counter() - started
    spent = None
    if ledger is not None and epsilon is not None:
        spent = max(a.ledger.spent(a.owner, a.dataset).epsilon for a in account_of.values() if a)
    result = RunResult(
        epsilon=epsilon,
        test_auc=round_aucs[-1],
        validation_auc=metric_value(
            spec, weights, split.validation.X, split.validation.y, "roc_auc"
        ),
        round_test_aucs=round_aucs,
        seconds=seconds,
        seconds_per_round=seconds / config.rounds,
        max_epsilon_spent=spent,
        epochs=epochs,
    )
    return result, last, base


def _account(
    ledger: PrivacyLedger | None, i: int, epsilon: float | None, config: SimulationConfig
) -> LedgerAccount | None:
    """Owner i's ledger account for this run, with the run's total epsilon as its budget."""
    if ledger is None or epsilon is None:
        return None
    dataset = f"sim-{config.split}-owner{i}-eps{epsilon:g}"
    ledger.set_budget(f"owner{i}", dataset, epsilon=epsilon, delta=config.delta)
    return ledger.account(f"owner{i}", dataset)


def _eps(epsilon: float | None) -> str:
    return "off" if epsilon is None else f"{epsilon:g}"


def simulate(
    source: str | Path | bytes,
    config: SimulationConfig = SimulationConfig(),
    *,
    progress: Callable[[float, str], None] | None = None,
) -> SimulationReport:
    """Run the whole simulation: baselines, then one federated run per epsilon."""
    started = time.perf_counter()
    report = progress or (lambda _f, _m: None)
    split = split_loans(load_loans(source), config)
    report(0.0, f"{len(split.owners)} owners, {split.spec.n_inputs} inputs; baselines")
    pooled = _sk_auc(split.owners, split.test)
    singles = [_sk_auc([d], split.test) for d in split.owners]
    runs: list[RunResult] = []
    contributions: dict[str, dict[str, float]] = {}
    n_runs = len(config.epsilons)
    with tempfile.TemporaryDirectory() as tmp:
        ledger = PrivacyLedger(Path(tmp) / "ledger.sqlite")
        for k, eps in enumerate(config.epsilons):
            scaled = _scaled(report, k, n_runs)
            result, last, base = run_federated(split, config, eps, scaled, ledger=ledger)
            runs.append(result)
            if config.contributions and eps is not None and not contributions:
                contributions = _contributions(split, last, base)
    return SimulationReport(
        config=config,
        owner_sizes=[d.n for d in split.owners],
        n_validation=split.validation.n,
        n_test=split.test.n,
        n_inputs=split.spec.n_inputs,
        pooled_auc=pooled,
        single_aucs=singles,
        runs=runs,
        contributions=contributions,
        seconds=time.perf_counter() - started,
    )


def _scaled(report: Progress, k: int, n: int) -> Progress:
    return lambda fraction, message: report((k + fraction) / n, message)


def _contributions(split: Split, last: list[MergeInput], base: dict) -> dict[str, dict[str, float]]:
    updates = {f"owner{i}": u for i, u in enumerate(last)}
    X, y = split.validation.X, split.validation.y
    return {
        "leave_one_out": leave_one_out(split.spec, base, updates, X, y),
        "shapley": shapley(split.spec, base, updates, X, y),
    }
