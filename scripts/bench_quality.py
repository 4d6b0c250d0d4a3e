"""Print the product policy's out-of-time ROC-AUC over several seeds, against pooled regression.

Each seed runs `fl.simulate.simulate` (the lender's Shapley-valued FedAvg, 10 owners by state,
3 rounds by default) and prints per epsilon the product policy's test AUC and its gap to pooled
(non-private) logistic regression of the same seed, then the mean, standard deviation and range
over seeds. The issue-10 bars are gaps of -0.005 at eps 3 and -0.010 at eps 1.

    .venv/bin/python scripts/bench_quality.py                      # seeds 0-4, eps 1 and 3
    .venv/bin/python scripts/bench_quality.py --seeds 0 1 --epsilons 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fedlend.settings import SHIPPED_LOANS  # noqa: E402

BARS = {1.0: 0.010, 3.0: 0.005}


def run_seed(seed: int, args: argparse.Namespace) -> dict[float, tuple[float, float]]:
    """{epsilon: (product AUC, pooled AUC)} for one seed."""
    from fl.simulate import SimulationConfig, simulate

    config = SimulationConfig(
        owners=args.owners,
        rounds=args.rounds,
        split=args.split,
        epsilons=tuple(args.epsilons),
        seed=seed,
        fedavg_baseline=False,
    )
    report = simulate(SHIPPED_LOANS, config, progress=_progress(seed))
    return {e: (report.run(e).test_auc, report.pooled_auc) for e in args.epsilons}


def _progress(seed: int) -> Callable[[float, str], None]:
    def show(fraction: float, what: str) -> None:
        print(f"\r[seed {seed} {fraction:6.1%}] {what:<50}", end="", file=sys.stderr, flush=True)

    return show


def main() -> int:
    """Run every seed and print the table and the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--epsilons", type=float, nargs="+", default=[1.0, 3.0])
    parser.add_argument("--owners", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--split", choices=("state", "random"), default="state")
    args = parser.parse_args()
    gaps: dict[float, list[float]] = {e: [] for e in args.epsilons}
    aucs: dict[float, list[float]] = {e: [] for e in args.epsilons}
    print(
        f"{'seed':>5}{'pooled':>9}"
        + "".join(f"{'eps ' + str(e):>11}{'gap':>9}" for e in args.epsilons)
    )
    for seed in args.seeds:
        row = run_seed(seed, args)
        print(file=sys.stderr)
        pooled = next(iter(row.values()))[1]
        cells = ""
        for e in args.epsilons:
            auc, _ = row[e]
            aucs[e].append(auc)
            gaps[e].append(auc - pooled)
            cells += f"{auc:>11.4f}{auc - pooled:>+9.4f}"
        print(f"{seed:>5}{pooled:>9.4f}{cells}", flush=True)
    for e in args.epsilons:
        _summary(e, aucs[e], gaps[e])
    return 0


def _summary(epsilon: float, aucs: list[float], gaps: list[float]) -> None:
    sd = statistics.stdev(aucs) if len(aucs) > 1 else 0.0
    bar = BARS.get(epsilon)
    mean_gap = statistics.mean(gaps)
    verdict = "" if bar is None else f" (bar -{bar}: {'met' if mean_gap >= -bar else 'NOT met'})"
    print(
        f"eps {epsilon}: mean AUC {statistics.mean(aucs):.4f}, sd {sd:.4f}, range "
        f"{min(aucs):.4f}-{max(aucs):.4f}; mean gap to pooled {mean_gap:+.4f}{verdict}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
