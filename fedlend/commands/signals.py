"""`fedlend signals train|report|score`: the address risk classifier and investor profiles."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `signals` subcommand and its three actions."""
    parser = sub.add_parser(
        "signals",
        help="train, report or batch-score the address risk classifier and investor profiles",
        description="Risk classifiers and investor profiles on the shipped labelled Ethereum "
        "addresses (data/ethereum_addresses/).",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    train = actions.add_parser("train", help="compare models, fit and save the served model")
    train.add_argument("--data", type=Path, default=None, help="labelled address features CSV")
    train.add_argument("--out", type=Path, default=None, help="model directory (default: shipped)")
    train.add_argument("--quick", action="store_true", help="small models on 2,000 rows")
    train.set_defaults(func=run_train)
    report = actions.add_parser("report", help="print the saved model's figures")
    report.add_argument("--model", type=Path, default=None, help="model directory")
    report.add_argument("--json", action="store_true", help="print one JSON object")
    report.set_defaults(func=run_report)
    score = actions.add_parser("score", help="score a CSV of address features")
    score.add_argument("--data", type=Path, required=True, help="CSV with the shipped columns")
    score.add_argument("--out", type=Path, required=True, help="output CSV")
    score.add_argument("--model", type=Path, default=None, help="model directory")
    score.set_defaults(func=run_score)


def _model_dir(path: Path | None) -> Path:
    from signals.model import DEFAULT_DIR

    return path or DEFAULT_DIR


def run_train(args: argparse.Namespace) -> int:
    """Train and save, with progress on stderr."""
    from signals import model
    from signals.classifier import TrainConfig
    from signals.dataset import DATA_FILE, load_addresses
    from signals.profile import ProfileConfig
    from signals.train import SignalsConfig, train

    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    config = SignalsConfig()
    if args.quick:
        config = SignalsConfig(
            train=TrainConfig(cv_folds=3, forest_trees=50, boosting_trees=60, max_rows=2000),
            profiles=ProfileConfig(k_range=(2, 3, 4, 5), sample=1000),
        )
    data = load_addresses(args.data or DATA_FILE)
    progress(f"{len(data.addresses):,} addresses, {int(data.artifact.sum()):,} with artifacts")
    served = train(data, config, progress)
    version = model.save(served, _model_dir(args.out))
    print(f"saved {_model_dir(args.out)} (version {version[:16]}...)")
    print_report(served.report, served)
    return 0


def run_report(args: argparse.Namespace) -> int:
    """Print the saved model's figures."""
    from signals import model

    served = model.load(_model_dir(args.model))
    if args.json:
        spec = served.spec("")
        spec.pop("arrays_sha256")
        print(json.dumps({"version": model.digest(_model_dir(args.model)), **spec}, indent=2))
        return 0
    print(
        f"model {_model_dir(args.model)} (version {model.digest(_model_dir(args.model))[:16]}...)"
    )
    print_report(served.report, served)
    return 0


def run_score(args: argparse.Namespace) -> int:
    """Score each row of a feature CSV: probability, level, profile."""
    from signals import model
    from signals.assess import score_frame
    from signals.dataset import read_feature_csv

    served = model.load(_model_dir(args.model))
    scored = score_frame(served, read_feature_csv(args.data, labelled=False))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    scored.to_csv(args.out, index=False)
    counts = scored["level"].value_counts()
    print(f"scored {len(scored):,} rows -> {args.out}")
    for level in ("red", "yellow", "green", "unknown"):
        n = int(counts.get(level, 0))
        print(f"  {level:<8} {n:>7,}  {_bar(n, len(scored))}")
    return 0


def print_report(report: dict, served: object) -> None:
    """Classifier table, thresholds, silhouettes and profiles, with text bars."""
    print("\nclassifiers (held-out split; threshold 0.5, SVM margin 0)")
    print(f"  {'model':<18} {'variant':<18} acc    prec   recall f1     roc_auc cv_auc")
    for m in report.get("classifiers", []):
        print(
            f"  {m['model']:<18} {m['variant']:<18} {m['accuracy']:.4f} {m['precision']:.4f} "
            f"{m['recall']:.4f} {m['f1']:.4f} {m['roc_auc']:.4f}  {m['cv_roc_auc']:.4f}"
        )
    t = served.thresholds  # type: ignore[attr-defined]
    print("\nlevels (served: gradient boosting without artifact features; held-out figures)")
    print(
        f"  yellow from p >= {t.yellow:.3f}: precision {t.yellow_precision:.3f} recall "
        f"{t.yellow_recall:.3f}"
    )
    print(
        f"  red    from p >= {t.red:.3f}: precision {t.red_precision:.3f} recall {t.red_recall:.3f}"
    )
    for key, title in (("silhouettes", "profile features"), ("seed_feature_silhouettes", "seed's")):
        print(f"\nsilhouette per method and K ({title})")
        for s in report.get(key, []):
            print(
                f"  {s['method']:<13} K={s['k']}  {s['silhouette']:.3f}  "
                f"smallest cluster {s['smallest_share']:6.1%}  {_bar(s['silhouette'], 1)}"
            )
    p = served.profiles  # type: ignore[attr-defined]
    print(
        f"\nprofiles (K-means, K={len(p.names)}, silhouette {p.silhouette:.3f}): "
        + "; ".join(p.names)
    )


def _bar(value: float, total: float, width: int = 30) -> str:
    return "#" * round(width * value / total) if total else ""
