"""Print fl figures: plain vs DP local-training time, then the federated simulation bars."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fedlend.settings import SHIPPED_LOANS  # noqa: E402


def training_times(*, repeats: int = 7, epsilon: float = 3.0) -> dict[str, float]:
    """Seconds for one owner's ~3,000-loan logistic-regression update: plain vs DP-SGD."""
    from fl.data import load_loans
    from fl.dp import calibrate_noise
    from fl.features import build_spec, encode
    from fl.models import init_weights
    from fl.train import train_update

    loans = load_loans(SHIPPED_LOANS)
    lender = loans.sample(2375, random_state=0)
    spec = build_spec(lender)
    owner = encode(spec, loans.drop(lender.index).sample(3000, random_state=1))
    w0 = init_weights(spec)
    calibrate_noise.cache_clear()
    started = time.perf_counter()
    train_update(spec, w0, owner, epsilon=epsilon, seed=0)
    cold = time.perf_counter() - started

    def median(eps: float | None) -> float:
        return statistics.median(
            train_update(spec, w0, owner, epsilon=eps, seed=i).seconds for i in range(repeats)
        )

    plain, private = median(None), median(epsilon)
    return {
        "n_examples": owner.n,
        "epochs": spec.training.epochs,
        "batch_size": spec.training.batch_size,
        "plain_seconds": plain,
        "dp_seconds": private,
        "dp_over_plain": private / plain,
        "dp_first_call_seconds_incl_calibration": cold,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the training times and one simulation per split and seed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default="0", help="comma-separated simulation seeds")
    parser.add_argument("--splits", default="random,state")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from fl.simulate import SimulationConfig, format_table, simulate

    times = training_times()
    if not args.json:
        print(
            f"one owner's logistic-regression update, {times['n_examples']:,} loans, "
            f"{times['epochs']} epochs, batch {times['batch_size']} (median of 7, one thread):\n"
            f"  plain SGD {times['plain_seconds']:.3f} s; DP-SGD (Opacus, eps 3) "
            f"{times['dp_seconds']:.3f} s = {times['dp_over_plain']:.1f}x; first DP call incl. "
            f"noise calibration {times['dp_first_call_seconds_incl_calibration']:.2f} s\n",
            flush=True,
        )
    sims: dict[str, dict[str, object]] = {}
    failed: list[str] = []
    for split in args.splits.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            report = simulate(SHIPPED_LOANS, SimulationConfig(split=split, seed=seed))
            sims[f"{split}/seed{seed}"] = report.to_dict()
            failed += [f"{split}/seed{seed}: {bar}" for bar, ok in report.bars().items() if not ok]
            if not args.json:
                print(f"simulation, seed {seed}: {format_table(report)}\n", flush=True)
    if args.json:
        print(json.dumps({"training": times, "simulations": sims}, indent=2))
    else:
        print("all bars pass" if not failed else f"bars failed: {failed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
