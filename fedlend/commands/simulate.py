"""`fedlend simulate`: federate a model over the shipped loans under the lender's product policy."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fedlend.errors import FedlendError
from fedlend.settings import SHIPPED_LOANS
from fedlend_core.progress import to_stderr

if TYPE_CHECKING:
    from fl.engine import EngineRun
    from fl.scaling import ScalingRow
    from fl.simulate import SimulationConfig


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `simulate` subcommand."""
    parser = sub.add_parser(
        "simulate",
        help="simulate N data owners federating a credit-default model (DP and non-DP)",
        description="Split real Lending Club loans into owners, a lender validation set and an "
        "out-of-time test set; run R federated rounds per epsilon under the product policy "
        "(Shapley-valued FedAvg, fl.strategy) and plain FedAvg; print test ROC-AUC vs the "
        "pooled and single-owner baselines, and each owner's Shapley value and payout share.",
    )
    parser.add_argument("--data", type=Path, default=SHIPPED_LOANS, help="loans CSV (.csv/.gz)")
    parser.add_argument("--owners", type=int, default=10, help="number of data owners")
    parser.add_argument("--rounds", type=int, default=3, help="federated rounds")
    parser.add_argument(
        "--split",
        choices=("random", "state", "both"),
        default="both",
        help="owners by random rows, by whole US states (non-IID), or both",
    )
    parser.add_argument(
        "--epsilons",
        default="off,1,3,8",
        help="comma-separated total epsilon per owner over all rounds; 'off' = no DP",
    )
    parser.add_argument("--delta", type=float, default=1e-5, help="DP delta per owner")
    parser.add_argument("--validation-size", type=int, default=2375, help="lender's loans")
    parser.add_argument("--model", choices=("logreg", "mlp"), default="logreg")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-fedavg", action="store_true", help="skip the plain-FedAvg baseline runs"
    )
    parser.add_argument(
        "--single-baselines",
        type=int,
        default=50,
        help="fit at most this many owners alone (a seeded sample beyond)",
    )
    parser.add_argument(
        "--max-permutations",
        type=int,
        default=2000,
        help="Monte-Carlo Shapley: hard cap on permutations per round (rounds of > 10 updates)",
    )
    parser.add_argument(
        "--scaling",
        help="comma-separated owner counts, e.g. 10,100,1000,5000: time and peak memory per "
        "size (random split, product policy only, each size in its own process)",
    )
    parser.add_argument("--save-model", type=Path, help="save the last run's global model here")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--engine",
        choices=("in-process", "flower"),
        default="in-process",
        help="flower: run the owners as Flower ClientApps on Ray (pip install 'fedlend[flower]'); "
        "federated runs only, judged by the lender's Shapley FedAvg round policy",
    )
    parser.set_defaults(func=run)


def parse_epsilons(text: str) -> tuple[float | None, ...]:
    """'off,1,3' -> (None, 1.0, 3.0); FedlendError on anything else."""
    out: list[float | None] = []
    for item in (part.strip() for part in text.split(",") if part.strip()):
        if item.lower() in ("off", "none", "inf"):
            out.append(None)
            continue
        try:
            value = float(item)
        except ValueError:
            value = -1.0
        if not value > 0:
            raise FedlendError(f"--epsilons: {item!r} is not a positive number or 'off'")
        out.append(value)
    if not out:
        raise FedlendError("--epsilons needs at least one value, e.g. off,1,3,8")
    return tuple(out)


def _config(args: argparse.Namespace, split: str) -> SimulationConfig:
    from fl.simulate import SimulationConfig
    from fl.strategy import StrategyConfig

    if args.max_permutations < 1:
        raise FedlendError("--max-permutations must be at least 1")
    return SimulationConfig(
        strategy=StrategyConfig(max_permutations=args.max_permutations),
        owners=args.owners,
        rounds=args.rounds,
        split=split,
        model=args.model,
        epsilons=parse_epsilons(args.epsilons),
        delta=args.delta,
        seed=args.seed,
        validation_size=args.validation_size,
        fedavg_baseline=not args.no_fedavg,
        single_baselines=args.single_baselines,
    )


def parse_sizes(text: str) -> list[int]:
    """'10,100' -> [10, 100]; FedlendError on anything else."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise FedlendError("--scaling needs positive owner counts, e.g. 10,100,1000,5000")
    return sizes


def run_scaling(args: argparse.Namespace) -> int:
    """Print the scaling table (or JSON), one row per size as it finishes."""
    from fl.scaling import format_row, scaling

    sizes = parse_sizes(args.scaling)
    config = _config(args, "random")
    if not args.json:
        print(
            f"scaling: {config.rounds} rounds, eps {args.epsilons} per owner, random split, "
            f"product policy only; single-owner baseline on a sample of {args.single_baselines}",
            flush=True,
        )
    printed: list[object] = []

    def show(row: ScalingRow) -> None:
        print(f"[scaling] {row.owners} owners done in {row.seconds:.0f} s", file=sys.stderr)
        if not args.json:
            print(format_row(row, header=not printed), flush=True)
        printed.append(row)

    rows = scaling(args.data, sizes, config, report=show)
    if args.json:
        print(json.dumps([r.to_dict() for r in rows], indent=2))
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the simulation per split and print a table (or JSON)."""
    from fl.simulate import format_table, simulate
    from fl.weights import save_model

    if args.owners < 1 or args.rounds < 1:
        raise FedlendError("--owners and --rounds must be at least 1")
    if args.scaling:
        return run_scaling(args)
    if args.engine == "flower":
        return run_flower_engine(args)
    splits = ("random", "state") if args.split == "both" else (args.split,)
    results = {}
    for split in splits:
        report = simulate(args.data, _config(args, split), progress=to_stderr(split))
        if sys.stderr.isatty():
            print(file=sys.stderr)
        results[split] = report
        if not args.json:
            print(format_table(report), flush=True)
            print(flush=True)
    if args.save_model:
        last = results[splits[-1]]
        save_model(args.save_model, last.split.spec, last.runs[-1].weights)
        print(
            f"saved the {splits[-1]}-split product-policy model (eps {last.runs[-1].label}) "
            f"to {args.save_model}",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps({name: r.to_dict() for name, r in results.items()}, indent=2))
    return 0


def run_flower_engine(args: argparse.Namespace) -> int:
    """`--engine flower`: one Flower run per split and epsilon; print its figures."""
    from fl.data import load_loans
    from fl.flower_engine import run_flower
    from fl.splits import split_loans

    loans = load_loans(args.data)
    splits = ("random", "state") if args.split == "both" else (args.split,)
    rows = []
    for split_name in splits:
        config = _config(args, split_name)
        split = split_loans(loans, config.split_config())
        for eps in config.epsilons:
            task = config.task(split, eps, "shapley")
            label = f"{split_name} eps {'off' if eps is None else f'{eps:g}'}"
            done = run_flower(task, progress=to_stderr(f"flower {label}"))
            if sys.stderr.isatty():
                print(file=sys.stderr)
            rows.append({"split": split_name, "epsilon": eps, **_flower_row(done)})
            if not args.json:
                print(_flower_line(args.owners, label, rows[-1]), flush=True)
    if args.json:
        print(json.dumps({"engine": "flower", "runs": rows}, indent=2))
    return 0


def _flower_row(done: EngineRun) -> dict[str, Any]:
    return {
        "test_auc": done.test_auc,
        "round_scores_bps": list(done.round_scores_bps),
        "round_accepted": list(done.round_accepted),
        "epsilon_spent": done.epsilon_spent,
        "seconds": done.seconds,
    }


def _flower_line(owners: int, label: str, row: dict[str, Any]) -> str:
    accepted = row["round_accepted"]
    spent = row["epsilon_spent"]
    return (
        f"flower engine, {owners} owners, {label}: test ROC-AUC {row['test_auc']:.4f}, "
        f"rounds accepted {sum(accepted)}/{len(accepted)}, "
        f"eps spent {'-' if spent is None else f'{spent:.3f}'}, {row['seconds']:.1f} s "
        "(incl. Ray start)"
    )
