"""How the simulation scales with the number of owners: time and peak memory per size.

Each size runs in a fresh child process (so its peak resident memory is its own, and one size's
failure is reported, not fatal), with the product policy only (no plain-FedAvg run), owners split
at random (there are only ~50 states), and the single-owner baseline on a seeded sample.
"""

from __future__ import annotations

import multiprocessing
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from fedlend_core.errors import FedlendError
from fl.simulate import SimulationConfig, simulate


@dataclass(frozen=True)
class ScalingRow:
    """One size's figures (error set when that size failed)."""

    owners: int
    seconds: float
    peak_mib: float
    test_auc: float = float("nan")
    single_class_owners: int = 0
    failed_trainings: int = 0
    last_round: str = ""
    error: str = ""

    def to_dict(self) -> dict[str, object]:
        """JSON-able fields."""
        return dict(self.__dict__)


def _one(source: str, config: SimulationConfig) -> ScalingRow:
    """Run one size (in the child); the peak RSS is this process's own."""
    started = time.perf_counter()
    try:
        report = simulate(source, config)
    except FedlendError as exc:
        return ScalingRow(config.owners, time.perf_counter() - started, _peak_mib(), error=str(exc))
    run = report.runs[-1]
    last = run.rounds[-1]
    return ScalingRow(
        owners=len(report.split.owners),
        seconds=time.perf_counter() - started,
        peak_mib=_peak_mib(),
        test_auc=run.test_auc,
        single_class_owners=report.single_class_owners,
        failed_trainings=run.failed_trainings,
        last_round=f"{last.method}, {last.permutations} perms, {last.policy_seconds:.1f} s",
    )


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def scaling(
    source: str | Path,
    sizes: Sequence[int],
    base: SimulationConfig,
    *,
    report: Callable[[ScalingRow], None] = print,
) -> list[ScalingRow]:
    """Simulate each size in its own process; report each row as it lands."""
    context = multiprocessing.get_context("spawn")
    config = replace(base, split="random", fedavg_baseline=False)
    rows = []
    for n in sizes:
        with context.Pool(1) as pool:
            row = pool.apply(_one, (str(source), replace(config, owners=n)))
        rows.append(row)
        report(row)
    return rows


def format_row(row: ScalingRow, *, header: bool = False) -> str:
    """One line of the scaling table (with the header before the first)."""
    line = (
        f"{row.owners:>7}{row.seconds:>10.1f}{row.peak_mib:>10.0f}{row.test_auc:>9.4f}"
        f"{row.single_class_owners:>12}{row.failed_trainings:>8}  {row.last_round}{row.error}"
    )
    if not header:
        return line
    head = f"{'owners':>7}{'seconds':>10}{'peak MiB':>10}{'test AUC':>9}{'one-outcome':>12}"
    return f"{head}{'failed':>8}  last round's valuation\n{line}"
