"""Print the lender's round-policy cost: Shapley-valued FedAvg of N real DP updates, N = 10..1000.

For each N the shipped loans are split (fl.splits: out-of-time test, the lender's 2,375-loan
validation set, N owners at random); every owner trains one real DP update (eps 3, fl.train) from
the initial weights, then `ShapleyFedAvg.evaluate_round` values the round. Printed per N: seconds
of evaluate_round alone, the method, permutations, the largest standard error, v(all) and the
round's peak numpy/Python memory (tracemalloc). Training is not timed. "seconds" is wall
time; "cpu s" is this process's CPU time (on a shared machine the two differ).

    .venv/bin/python scripts/bench_rounds.py            # 10 20 50 200 1000
    .venv/bin/python scripts/bench_rounds.py --sizes 10 50 --model mlp
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from fl.models import Weights
    from fl.splits import Split
    from fl.strategy import RoundUpdate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fedlend.settings import SHIPPED_LOANS  # noqa: E402


def round_updates(
    loans: pd.DataFrame, n: int, model: str, epsilon: float
) -> tuple[Split, Weights, list[RoundUpdate]]:
    """The split and one trained DP update per owner (RoundUpdate list), from initial weights."""
    from fl.engine import epochs_for
    from fl.models import init_weights
    from fl.splits import SplitConfig, split_loans
    from fl.strategy import RoundUpdate
    from fl.train import TrainConfig, train_update

    split = split_loans(loans, SplitConfig(owners=n, model=model))
    w0 = init_weights(split.spec)
    updates = []
    for i, data in enumerate(split.owners):
        config = TrainConfig(epsilon, epochs=epochs_for(epsilon), rounds=3, seed=i)
        result = train_update(split.spec, w0, data, config)
        updates.append(RoundUpdate(i, result.weights, w0, result.n_examples))
        if (i + 1) % 100 == 0:
            print(f"  trained {i + 1}/{n} updates", file=sys.stderr, flush=True)
    return split, w0, updates


def measure(loans: pd.DataFrame, n: int, model: str, epsilon: float) -> dict[str, object]:
    """Time one evaluate_round over n updates."""
    from fl.strategy import ShapleyFedAvg

    split, w0, updates = round_updates(loans, n, model, epsilon)
    strategy = ShapleyFedAvg(split.spec, split.validation.X, split.validation.labels)
    tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    result = strategy.evaluate_round(w0, updates)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "updates": n,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "method": result.method,
        "permutations": result.permutations,
        "max_std_error": max(result.std_errors),
        "v_all": result.v_all,
        "sum_values": sum(result.values),
        "included": sum(result.included),
        "score_bps": result.score_bps,
        "base_score_bps": result.base_score_bps,
        "peak_mib": round(peak / 2**20, 1),
        "n_validation": split.validation.n,
    }


def main() -> int:
    """Measure each size and print a table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 20, 50, 200, 1000])
    parser.add_argument("--model", choices=("logreg", "mlp"), default="logreg")
    parser.add_argument("--epsilon", type=float, default=3.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from fl.data import load_loans

    loans = load_loans(SHIPPED_LOANS)
    rows = []
    for n in args.sizes:
        print(f"round of {n} updates: training them (not timed)", file=sys.stderr, flush=True)
        rows.append(measure(loans, n, args.model, args.epsilon))
        if not args.json:
            _print_row(rows[-1], header=len(rows) == 1)
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


def _print_row(r: dict, *, header: bool) -> None:
    if header:
        print(f"validation set: {r['n_validation']:,} loans; seconds = evaluate_round alone")
        print(
            f"{'updates':>8}{'seconds':>9}{'cpu s':>8}{'method':>13}{'perms':>7}{'max s.e.':>10}"
            f"{'v(all)':>9}{'sum phi':>9}{'kept':>6}{'bps':>6}{'peak MiB':>10}"
        )
    print(
        f"{r['updates']:>8}{r['seconds']:>9.2f}{r['cpu_seconds']:>8.2f}{r['method']:>13}{r['permutations']:>7}"
        f"{r['max_std_error']:>10.5f}{r['v_all']:>9.4f}{r['sum_values']:>9.4f}"
        f"{r['included']:>6}{r['score_bps']:>6}{r['peak_mib']:>10.1f}",
        flush=True,
    )


if __name__ == "__main__":
    raise SystemExit(main())
