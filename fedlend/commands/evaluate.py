"""`fedlend evaluate`: score a saved model (spec.json + weights.safetensors) on a labelled CSV."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `evaluate` subcommand."""
    parser = sub.add_parser(
        "evaluate",
        help="score a saved model on a labelled Lending Club CSV",
        description="Load MODEL (a directory holding spec.json and weights.safetensors, or "
        "the lender app's model zip), encode the CSV by its spec and print ROC-AUC, PR-AUC, "
        "accuracy, Brier score and log loss.",
    )
    parser.add_argument(
        "--model", type=Path, required=True, help="saved model directory or model zip"
    )
    parser.add_argument("--data", type=Path, required=True, help="labelled loans (.csv or .csv.gz)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Score and print."""
    from desk.loading import open_model
    from fl.data import load_loans
    from fl.evaluate import score_bps, score_data
    from fl.features import encode

    model = open_model(args.model)
    spec, weights = model.spec, model.weights
    data = encode(spec, load_loans(args.data, policy_only=spec.policy_only))
    metrics = score_data(spec, weights, data)
    result = {
        **metrics.to_dict(),
        "metric": spec.metric,
        "score_bps": int(score_bps(spec, metrics)),
        "spec_digest": spec.digest_hex,
        "unknown_categories": dict(data.unknown_categories),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"model {args.model} (spec {spec.digest_hex[:16]}..., {spec.model.kind}) on {args.data}")
    for name in ("roc_auc", "pr_auc", "accuracy", "brier", "log_loss"):
        print(f"  {name:<9} {result[name]:.4f}")
    print(f"  {'n':<9} {metrics.n:,}")
    print(f"  {spec.metric} in basis points: {result['score_bps']}")
    for column, count in data.unknown_categories.items():
        print(f"  note: {count:,} rows have an unseen {column} value (encoded as no category)")
    return 0
