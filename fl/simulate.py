"""Federated simulation on real loans: the product policy per round, against its baselines.

Baselines are scikit-learn logistic regression (C=1, non-private): pooled over all owners' loans
(centralised), and each owner alone (best single owner; with many owners a seeded sample of
`single_baselines` of them, and owners whose loans hold one outcome only are counted, never fit).
The federated run per epsilon is THE PRODUCT POLICY (fl.engine's loop, judged by fl.rounds:
Shapley-valued FedAvg on the lender's validation set, rounds accepted only if they beat the best
score, per-owner Shapley values and notional rewards summed over rounds); plain FedAvg of every
update is run too as a baseline (`fedavg_baseline`). With DP, each owner's epsilon is its TOTAL
over all rounds: noise is calibrated for R runs, and every run is checked and booked in a real
privacy ledger (RDP composition).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fl.data import load_loans
from fl.engine import EngineRun, FederatedTask, epochs_for, run_in_process
from fl.privacy import LedgerAccount, PrivacyLedger
from fl.splits import Split, SplitConfig, both_outcomes, sklearn_auc, split_loans
from fl.strategy import StrategyConfig
from fl.train import Progress

__all__ = ["SimulationConfig", "SimulationReport", "epochs_for", "format_table", "simulate"]


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
    fedavg_baseline: bool = True  # also run plain FedAvg per epsilon
    single_baselines: int = 50  # owners fit alone at most (a seeded sample beyond)
    strategy: StrategyConfig = field(default_factory=StrategyConfig)

    def split_config(self) -> SplitConfig:
        """How the loans are split."""
        c = self
        return SplitConfig(c.owners, c.split, c.validation_size, c.test_from, c.model, c.seed)

    def task(self, split: Split, epsilon: float | None, policy: str) -> FederatedTask:
        """One federated run of this simulation."""
        return FederatedTask(
            split=split,
            rounds=self.rounds,
            epsilon=epsilon,
            delta=self.delta,
            seed=self.seed,
            strategy=self.strategy,
            policy=policy,
        )


@dataclass(frozen=True)
class SimulationReport:
    """Everything a simulation measured."""

    config: SimulationConfig
    split: Split = field(repr=False)
    pooled_auc: float
    single_aucs: list[float]
    single_class_owners: int  # owners whose loans hold one outcome only
    runs: list[EngineRun]  # the product policy, one per epsilon
    baselines: list[EngineRun]  # plain FedAvg, one per epsilon (if run)
    seconds: float

    @property
    def best_single_auc(self) -> float:
        """The best owner's AUC alone (among those fit); nan if none could be fit."""
        return max(self.single_aucs) if self.single_aucs else float("nan")

    def run(self, epsilon: float | None, policy: str = "shapley") -> EngineRun:
        """The run at this epsilon (None = no DP); KeyError if it was not simulated."""
        for r in self.runs + self.baselines:
            if r.epsilon == epsilon and r.policy == policy:
                return r
        raise KeyError(epsilon)

    def bars(self) -> dict[str, bool]:
        """The project's quality bars for the product policy (those whose runs were simulated)."""
        out: dict[str, bool] = {}
        eps = {r.epsilon for r in self.runs}
        pooled = self.pooled_auc
        if None in eps:
            out["no_dp_within_0.005_of_pooled"] = self.run(None).test_auc >= pooled - 0.005
        if 3.0 in eps:
            out["eps3_within_0.005_of_pooled"] = self.run(3.0).test_auc >= pooled - 0.005
            out["eps3_above_best_single_owner"] = self.run(3.0).test_auc > self.best_single_auc
        if 1.0 in eps:
            out["eps1_within_0.010_of_pooled"] = self.run(1.0).test_auc >= pooled - 0.010
        return out

    def to_dict(self) -> dict[str, object]:
        """JSON-able summary."""
        c = self.config
        return {
            "split": c.split,
            "owners": len(self.split.owners),
            "rounds": c.rounds,
            "delta": c.delta,
            "seed": c.seed,
            "model": c.model,
            "n_inputs": self.split.spec.n_inputs,
            "owner_sizes": [d.n for d in self.split.owners],
            "single_class_owners": self.single_class_owners,
            "n_validation": self.split.validation.n,
            "n_test": self.split.test.n,
            "test": f"loans issued {c.test_from} or later (out of time)",
            "policy": "fl.strategy.ShapleyFedAvg (Shapley-valued FedAvg, lender validation)",
            "pooled_auc": self.pooled_auc,
            "best_single_auc": self.best_single_auc,
            "single_aucs": self.single_aucs,
            "single_baselines_fit": len(self.single_aucs),
            "federated": {r.label: r.to_dict() for r in self.runs},
            "fedavg_baseline": {r.label: r.to_dict() for r in self.baselines},
            "seconds_per_round": {r.label: r.seconds_per_round for r in self.runs},
            "bars": self.bars(),
            "seconds": self.seconds,
        }


def simulate(
    source: str | Path | bytes,
    config: SimulationConfig | None = None,
    *,
    progress: Callable[[float, str], None] | None = None,
) -> SimulationReport:
    """Run the whole simulation: baselines, then the product policy (and FedAvg) per epsilon."""
    config = config or SimulationConfig()
    started = time.perf_counter()
    report = progress or (lambda _f, _m: None)
    report(0.0, "loading and splitting loans")
    split = split_loans(load_loans(source), config.split_config())
    report(0.0, f"{len(split.owners)} owners, {split.spec.n_inputs} inputs: baselines")
    pooled = sklearn_auc(split.owners, split.test)
    fit = [d for d in split.owners if both_outcomes(d)]
    sample = np.random.default_rng(config.seed).permutation(len(fit))[: config.single_baselines]
    singles = [sklearn_auc([fit[i]], split.test) for i in sorted(sample)]
    policies = ("shapley", "fedavg") if config.fedavg_baseline else ("shapley",)
    jobs = [(eps, p) for eps in config.epsilons for p in policies]
    runs: list[EngineRun] = []
    with tempfile.TemporaryDirectory() as tmp:
        ledger = PrivacyLedger(Path(tmp) / "ledger.sqlite", durable=False)  # thrown away after
        for k, (eps, policy) in enumerate(jobs):
            accounts = [_account(ledger, i, eps, policy, config) for i in range(len(split.owners))]
            task = config.task(split, eps, policy)
            runs.append(run_in_process(task, _scaled(report, k, len(jobs), eps), accounts))
    return SimulationReport(
        config=config,
        split=split,
        pooled_auc=pooled,
        single_aucs=singles,
        single_class_owners=len(split.owners) - len(fit),
        runs=[r for r in runs if r.policy == "shapley"],
        baselines=[r for r in runs if r.policy == "fedavg"],
        seconds=time.perf_counter() - started,
    )


def _account(
    ledger: PrivacyLedger, i: int, epsilon: float | None, policy: str, config: SimulationConfig
) -> LedgerAccount | None:
    """Owner i's ledger account for this run, with the run's total epsilon as its budget."""
    if epsilon is None:
        return None
    dataset = f"sim-{config.split}-owner{i}-eps{epsilon:g}-{policy}"
    ledger.set_budget(f"owner{i}", dataset, epsilon=epsilon, delta=config.delta)
    return ledger.account(f"owner{i}", dataset)


def _scaled(report: Progress, k: int, n: int, epsilon: float | None) -> Progress:
    label = "off" if epsilon is None else f"{epsilon:g}"
    return lambda fraction, message: report((k + fraction) / n, f"eps {label}: {message}")


def format_table(report: SimulationReport) -> str:
    """The simulation's figures as plain text (fl.simulate_table)."""
    from fl.simulate_table import format_table as table

    return table(report)
