"""Print fl figures: plain vs DP local-training time, then the federated simulation bars."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fedlend.settings import SHIPPED_LOANS  # noqa: E402

if TYPE_CHECKING:
    from fl.features import EncodedData
    from fl.models import Weights
    from fl.spec import ModelSpec


SIZES = (3000, 20000)
KINDS = ("logreg", "mlp")
TARGETS = {"logreg": 1.3, "mlp": 1.5}  # issue 13: DP update <= this x plain SGD


def cold_start(epsilon: float = 3.0) -> dict[str, float]:
    """One-off costs, measured first in this process: import opacus, first noise calibration."""
    started = time.perf_counter()
    import opacus  # noqa: F401

    imported = time.perf_counter()
    from fl.dp import calibrate_noise

    calibrate_noise.cache_clear()
    calibrate_noise(3, 10, epsilon, 1e-5)
    return {
        "import_opacus_seconds": imported - started,
        "first_calibration_seconds": time.perf_counter() - imported,
    }


def _setup(kind: str, n: int) -> tuple[ModelSpec, Weights, EncodedData]:
    """A lender's spec of this kind, its initial weights and one owner's n encoded loans."""
    from fl.data import load_loans
    from fl.features import SpecOptions, build_spec, encode
    from fl.models import init_weights

    loans = load_loans(SHIPPED_LOANS)
    lender = loans.sample(2375, random_state=0)
    spec = build_spec(lender, SpecOptions(model=kind))
    owner = encode(spec, loans.drop(lender.index).sample(n, random_state=1))
    return spec, init_weights(spec, seed=0), owner


def training_times(
    kind: str, n: int, *, repeats: int = 7, epsilon: float = 3.0
) -> dict[str, float | int | str]:
    """Warm seconds for one owner's update (medians, interleaved): plain SGD, fast DP, Opacus DP."""
    from fl.dp import calibrate_noise
    from fl.train import TrainConfig, train_update

    spec, w0, owner = _setup(kind, n)
    started = time.perf_counter()
    train_update(spec, w0, owner, TrainConfig(epsilon, seed=0))  # first call: noise calibration
    first = time.perf_counter() - started
    if calibrate_noise.cache_info().currsize == 0:
        raise SystemExit("the first DP-SGD call did not calibrate (and cache) the noise")
    runs: dict[str, list[float]] = {"plain": [], "fast": [], "opacus": []}
    for i in range(repeats):
        runs["plain"].append(train_update(spec, w0, owner, TrainConfig(None, seed=i)).seconds)
        for engine in ("fast", "opacus"):
            config = TrainConfig(epsilon, seed=i, dp_engine=engine)
            result = train_update(spec, w0, owner, config)
            runs[engine].append(result.seconds)
    med = {k: statistics.median(v) for k, v in runs.items()}
    return {
        "model": kind,
        "n_examples": owner.n,
        "epochs": spec.training.epochs,
        "batch_size": spec.training.batch_size,
        "plain_seconds": med["plain"],
        "dp_seconds": med["fast"],
        "opacus_dp_seconds": med["opacus"],
        "dp_over_plain": med["fast"] / med["plain"],
        "opacus_dp_over_plain": med["opacus"] / med["plain"],
        "first_dp_call_seconds_incl_calibration": first,
    }


def print_training(cold: dict[str, float], rows: list[dict]) -> None:
    """The DP-speed table, with the issue's targets."""
    print(
        f"cold (once per process): import opacus {cold['import_opacus_seconds']:.2f} s, "
        f"first noise calibration {cold['first_calibration_seconds']:.2f} s"
    )
    print(
        "warm, one owner's update, eps 3, one thread, median of 7 interleaved repeats "
        "(ratios within this run):"
    )
    for r in rows:
        target = TARGETS[str(r["model"])]
        ok = "ok" if float(r["dp_over_plain"]) <= target else "MISSED"
        print(
            f"  {r['model']:6} {r['n_examples']:>6,} loans, {r['epochs']} epochs, batch "
            f"{r['batch_size']}: plain SGD {r['plain_seconds']:.4f} s; DP-SGD (closed form) "
            f"{r['dp_seconds']:.4f} s = {r['dp_over_plain']:.2f}x (target <= {target}x: {ok}); "
            f"Opacus hooks {r['opacus_dp_seconds']:.4f} s = {r['opacus_dp_over_plain']:.2f}x; "
            f"first DP call incl. calibration {r['first_dp_call_seconds_incl_calibration']:.2f} s"
        )
    print(flush=True)


def main(argv: list[str] | None = None) -> int:
    """Print the training times and one simulation per split and seed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default="0", help="comma-separated simulation seeds")
    parser.add_argument("--splits", default="random,state")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--training-only", action="store_true", help="skip the simulations")
    args = parser.parse_args(argv)
    cold = cold_start()
    rows = [training_times(kind, n) for kind in KINDS for n in SIZES]
    times = {"cold": cold, "warm": rows}
    if not args.json:
        print_training(cold, rows)
    if args.training_only:
        if args.json:
            print(json.dumps(times, indent=2))
        return 0
    from fl.simulate import SimulationConfig, format_table, simulate

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
