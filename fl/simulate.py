"""Federated simulation on real loans: baselines, then R rounds of local training + FedAvg.

Baselines are scikit-learn logistic regression (C=1, non-private): pooled over all owners' loans
(centralised), and each owner alone. A federated run starts from the spec's initial weights;
each round every owner trains locally from the global model, and the lender takes the FedAvg of
the owners' new weights (weighted by n). With DP, each owner's epsilon is its TOTAL over all
rounds: noise is calibrated for R runs, and every run is checked and booked in a real privacy
ledger (RDP composition), whose final figure is reported.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fl.contribution import leave_one_out, shapley
from fl.data import load_loans
from fl.evaluate import metric_value
from fl.merge import MergeInput, fedavg
from fl.models import Weights, init_weights
from fl.privacy import LedgerAccount, PrivacyLedger
from fl.splits import Split, sklearn_auc, split_loans
from fl.train import Progress, train_update


@dataclass(frozen=True)
class SimulationConfig:
    """What to simulate."""

    owners: int = 10
    rounds: int = 3
    split: str = "random"  # or "state" (non-IID: whole US states per owner)
    epsilons: tuple[float | None, ...] = (None, 1.0, 3.0, 8.0)
    delta: float = 1e-5
    validation_size: int = 2375
    test_from: str = "2011-05"
    model: str = "logreg"
    seed: int = 0
    contributions: bool = True  # leave-one-out + Shapley of the last round of the first DP run


@dataclass(frozen=True)
class RunResult:
    """One federated run (weights kept for saving, left out of JSON)."""

    epsilon: float | None
    test_auc: float
    validation_auc: float
    round_test_aucs: list[float]
    seconds: float
    seconds_per_round: float
    epsilon_spent: float | None  # largest per-owner total booked in the ledger
    epochs: int
    weights: Weights = field(repr=False, compare=False, default_factory=dict)

    @property
    def label(self) -> str:
        """ "off" or the epsilon as text."""
        return "off" if self.epsilon is None else f"{self.epsilon:g}"

    def to_dict(self) -> dict[str, object]:
        """JSON-able fields."""
        return {
            "epsilon": self.epsilon,
            "test_auc": self.test_auc,
            "validation_auc": self.validation_auc,
            "round_test_aucs": self.round_test_aucs,
            "seconds": self.seconds,
            "seconds_per_round": self.seconds_per_round,
            "epsilon_spent": self.epsilon_spent,
            "local_epochs": self.epochs,
        }


@dataclass(frozen=True)
class SimulationReport:
    """Everything a simulation measured."""

    config: SimulationConfig
    split: Split = field(repr=False)
    pooled_auc: float
    single_aucs: list[float]
    runs: list[RunResult]
    contributions: dict[str, dict[str, float]]
    seconds: float

    @property
    def best_single_auc(self) -> float:
        """The best owner's AUC alone."""
        return max(self.single_aucs)

    def run(self, epsilon: float | None) -> RunResult:
        """The run at this epsilon (None = no DP); KeyError if it was not simulated."""
        for r in self.runs:
            if r.epsilon == epsilon:
                return r
        raise KeyError(epsilon)

    def bars(self) -> dict[str, bool]:
        """The project's quality and speed bars (only those whose runs were simulated)."""
        out: dict[str, bool] = {}
        eps = {r.epsilon for r in self.runs}
        if None in eps:
            out["no_dp_within_0.005_of_pooled"] = self.run(None).test_auc >= self.pooled_auc - 0.005
        if 3.0 in eps:
            out["eps3_within_0.015_of_pooled"] = self.run(3.0).test_auc >= self.pooled_auc - 0.015
            out["eps3_above_best_single_owner"] = self.run(3.0).test_auc > self.best_single_auc
        out["under_60_seconds"] = self.seconds < 60.0
        return out

    def to_dict(self) -> dict[str, object]:
        """JSON-able summary."""
        c = self.config
        return {
            "split": c.split,
            "owners": c.owners,
            "rounds": c.rounds,
            "delta": c.delta,
            "seed": c.seed,
            "model": c.model,
            "n_inputs": self.split.spec.n_inputs,
            "owner_sizes": [d.n for d in self.split.owners],
            "n_validation": self.split.validation.n,
            "n_test": self.split.test.n,
            "test": f"loans issued {c.test_from} or later (out of time)",
            "pooled_auc": self.pooled_auc,
            "best_single_auc": self.best_single_auc,
            "single_aucs": self.single_aucs,
            "federated": {r.label: r.to_dict() for r in self.runs},
            "seconds_per_round": {r.label: r.seconds_per_round for r in self.runs},
            "contributions": self.contributions,
            "bars": self.bars(),
            "seconds": self.seconds,
        }


def simulate(
    source: str | Path | bytes,
    config: SimulationConfig | None = None,
    *,
    progress: Callable[[float, str], None] | None = None,
) -> SimulationReport:
    """Run the whole simulation: baselines, then one federated run per epsilon."""
    config = config or SimulationConfig()
    started = time.perf_counter()
    report = progress or (lambda _f, _m: None)
    report(0.0, "loading and splitting loans")
    split = split_loans(
        load_loans(source),
        owners=config.owners,
        split=config.split,
        seed=config.seed,
        validation_size=config.validation_size,
        test_from=config.test_from,
        model=config.model,
    )
    report(0.0, f"{config.owners} owners, {split.spec.n_inputs} inputs: baselines")
    pooled = sklearn_auc(split.owners, split.test)
    singles = [sklearn_auc([d], split.test) for d in split.owners]
    runs: list[RunResult] = []
    contributions: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ledger = PrivacyLedger(Path(tmp) / "ledger.sqlite")
        for k, eps in enumerate(config.epsilons):
            scaled = _scaled(report, k, len(config.epsilons))
            result, last, base = run_federated(split, config, eps, scaled, ledger=ledger)
            runs.append(result)
            if config.contributions and eps is not None and not contributions:
                contributions = _contributions(split, last, base)
    return SimulationReport(
        config=config,
        split=split,
        pooled_auc=pooled,
        single_aucs=singles,
        runs=runs,
        contributions=contributions,
        seconds=time.perf_counter() - started,
    )


def epochs_for(epsilon: float | None) -> int:
    """Local epochs per round: fewer steps under a small budget (measured best here)."""
    return 3 if epsilon is not None and epsilon <= 1.0 else 10


def run_federated(
    split: Split,
    config: SimulationConfig,
    epsilon: float | None,
    report: Progress,
    *,
    ledger: PrivacyLedger | None = None,
) -> tuple[RunResult, list[MergeInput], Weights]:
    """R rounds of local training + FedAvg; also returns the last round's updates and base."""
    started = time.perf_counter()
    weights = init_weights(split.spec, seed=config.seed)
    accounts = [_account(ledger, i, epsilon, config) for i in range(len(split.owners))]
    round_aucs: list[float] = []
    last: list[MergeInput] = []
    base = weights
    for r in range(config.rounds):
        last, base = [], weights
        for i, data in enumerate(split.owners):
            trained = train_update(
                split.spec,
                base,
                data,
                epsilon=epsilon,
                delta=config.delta,
                epochs=epochs_for(epsilon),
                rounds=config.rounds,
                account=accounts[i],
                seed=config.seed * 1_000_003 + r * 1009 + i,
            )
            last.append(MergeInput(trained.weights, base, trained.n_examples))
            done = (r * len(split.owners) + i + 1) / (config.rounds * len(split.owners))
            report(done, f"eps {_label(epsilon)}: round {r + 1}/{config.rounds}, owner {i + 1}")
        weights = fedavg(base, last)
        round_aucs.append(
            metric_value(split.spec, weights, split.test.X, split.test.labels, "roc_auc")
        )
    seconds = time.perf_counter() - started
    val = split.validation
    result = RunResult(
        epsilon=epsilon,
        test_auc=round_aucs[-1],
        validation_auc=metric_value(split.spec, weights, val.X, val.labels, "roc_auc"),
        round_test_aucs=round_aucs,
        seconds=seconds,
        seconds_per_round=seconds / config.rounds,
        epsilon_spent=_max_spent(accounts),
        epochs=epochs_for(epsilon),
        weights=weights,
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


def _max_spent(accounts: list[LedgerAccount | None]) -> float | None:
    spent = [a.ledger.spent(a.owner, a.dataset).epsilon for a in accounts if a is not None]
    return max(spent) if spent else None


def _label(epsilon: float | None) -> str:
    return "off" if epsilon is None else f"{epsilon:g}"


def _scaled(report: Progress, k: int, n: int) -> Progress:
    return lambda fraction, message: report((k + fraction) / n, message)


def _contributions(
    split: Split, last: list[MergeInput], base: Weights
) -> dict[str, dict[str, float]]:
    updates = {f"owner{i}": u for i, u in enumerate(last)}
    X, y = split.validation.X, split.validation.labels
    return {
        "leave_one_out": leave_one_out(split.spec, base, updates, X, y),
        "shapley": shapley(split.spec, base, updates, X, y),
    }


def format_table(report: SimulationReport) -> str:
    """A plain-text table of the simulation's figures and bars."""
    c, s = report.config, report.split
    lines = [
        f"{c.owners} owners ({c.split} split, {min(d.n for d in s.owners):,}-"
        f"{max(d.n for d in s.owners):,} loans each), {c.rounds} rounds, {s.spec.n_inputs} inputs; "
        f"lender validation {s.validation.n:,}; test {s.test.n:,} loans issued {c.test_from}+",
        f"{'model':<44}{'test AUC':>9}{'vs pooled':>11}{'s/round':>9}{'eps spent':>11}",
        f"{'pooled logistic regression (no DP)':<44}{report.pooled_auc:>9.4f}",
        f"{'best single owner alone (no DP)':<44}{report.best_single_auc:>9.4f}"
        f"{report.best_single_auc - report.pooled_auc:>+11.4f}",
    ]
    for r in report.runs:
        name = (
            "federated, DP off" if r.epsilon is None else f"federated, DP eps {r.epsilon:g} total"
        )
        spent = "" if r.epsilon_spent is None else f"{r.epsilon_spent:.3f}"
        lines.append(
            f"{name + f' ({r.epochs} local epochs)':<44}{r.test_auc:>9.4f}"
            f"{r.test_auc - report.pooled_auc:>+11.4f}{r.seconds_per_round:>9.2f}{spent:>11}"
        )
    bars = ", ".join(f"{k}: {'PASS' if ok else 'FAIL'}" for k, ok in report.bars().items())
    lines.append(f"bars: {bars}; total {report.seconds:.1f} s")
    return "\n".join(lines)
