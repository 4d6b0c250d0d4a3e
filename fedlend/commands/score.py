"""`fedlend score`: PD, decision, APR and reasons for every application in a CSV."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `score` subcommand."""
    parser = sub.add_parser(
        "score",
        help="score loan applications with a finished model (folder or the lender app's zip)",
        description="Score every application in DATA with MODEL: probability of default, a "
        "decision from the cutoffs, a risk price and the reasons. Rows with bad cells are "
        "reported one by one; the others are still scored. A labelled file also gets ROC-AUC.",
    )
    parser.add_argument("--model", type=Path, required=True, help="model folder or model zip")
    parser.add_argument("--data", type=Path, required=True, help="applications (.csv or .csv.gz)")
    parser.add_argument("--out", type=Path, help="write the results as CSV here")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--explain", type=int, default=3, metavar="K", help="reasons each way")
    parser.add_argument(
        "--background", type=Path, help="loans the reasons are measured against (default: DATA)"
    )
    parser.add_argument("--approve-below", type=float, default=0.15, help="PD cutoff (0.15)")
    parser.add_argument("--decline-from", type=float, default=0.30, help="PD cutoff (0.30)")
    parser.add_argument("--cost-of-funds", type=float, default=0.04, help="annual (0.04)")
    parser.add_argument("--lgd", type=float, default=0.60, help="loss given default (0.60)")
    parser.add_argument("--margin", type=float, default=0.03, help="annual (0.03)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Score and print (or write) the results."""
    from desk.loading import open_model
    from desk.policy import Policy, Pricing
    from desk.report import batch_csv, batch_summary, labelled_auc
    from desk.scoring import Desk, ScoringModel
    from fedlend.errors import DataError
    from fl.data import load_loans

    if not 0 <= args.explain <= 20:
        raise DataError("--explain takes 0 to 20 reasons each way")
    model = open_model(args.model)
    spec = model.spec
    frame = load_loans(args.data, policy_only=spec.policy_only, require_target=False)
    _progress(args, f"checking {len(frame):,} applications")
    background_frame = (
        load_loans(args.background, policy_only=spec.policy_only, require_target=False)
        if args.background
        else frame
    )
    scorer = ScoringModel(
        spec,
        model.weights,
        background=_background(spec, background_frame),
        name=model.source,
        weights_digest=model.digest_hex,
    )
    desk = Desk(
        policy=Policy(args.approve_below, args.decline_from),
        pricing=Pricing(args.cost_of_funds, args.lgd, args.margin),
        reasons=args.explain,
    )
    _progress(args, "scoring and explaining")
    batch = scorer.score_frame(frame, desk)
    auc = labelled_auc(frame, batch)
    if args.out:
        args.out.write_text(batch_csv(batch), encoding="utf-8")
    summary = batch_summary(batch, roc_auc=auc, pricing=desk.pricing)
    if args.json:
        summary["rows"] = [_row(r) for r in batch.rows] if not args.out else str(args.out)
        print(json.dumps(summary, indent=2))
        return 0
    _print(batch, summary, args)
    return 0


def _background(spec: Any, frame: Any) -> Any:
    from desk.applications import prepare
    from fedlend.errors import DataError

    prepared = prepare(spec, frame)
    if prepared.encoded is None:
        raise DataError("no row of the background file can be scored; give other loans")
    return prepared.encoded.X


def _row(row: Any) -> dict[str, Any]:
    return {
        "id": row.app_id,
        "pd": row.pd,
        "decision": row.decision,
        "apr": row.apr,
        "reasons": [r.text for r in row.reasons],
        "flags": list(row.flags),
        "errors": list(row.errors),
    }


def _progress(args: argparse.Namespace, message: str) -> None:
    if not args.json:
        print(f"... {message}", file=sys.stderr, flush=True)


def _print(batch: Any, summary: dict[str, Any], args: argparse.Namespace) -> None:
    from desk.report import bar

    print(f"model {batch.model} · weights sha256 {batch.weights_digest}")
    print(f"reasons: {batch.method}")
    print(summary["pricing"])
    total = len(batch.rows)
    for decision, count in sorted(batch.counts.items()):
        print(f"  {decision:<8} {count:>7,}  {bar(count / total)}")
    if summary.get("roc_auc") is not None:
        print(f"  roc_auc  {summary['roc_auc']:.4f} (the file has a default column)")
    for note in summary["notes"]:
        print(f"  note: {note}")
    if args.out:
        print(f"results written to {args.out}")
        return
    for row in batch.rows[:50]:
        if row.pd is None:
            print(f"{row.app_id}: refused: {'; '.join(row.errors)}")
            continue
        flag = f" [flagged: {'; '.join(row.flags)}]" if row.flags else ""
        print(f"{row.app_id}: PD {row.pd:.3f} {row.decision} APR {row.apr:.2%}{flag}")
        if row.reasons:
            print(f"    {row.reasons_text}")
    if total > 50:
        print(f"... {total - 50:,} more rows: use --out FILE for all of them")
