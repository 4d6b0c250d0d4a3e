"""`fedlend demo`: the whole loop on a local chain, the embedded store and real loans."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `demo` subcommand."""
    parser = sub.add_parser(
        "demo", help="run the end-to-end demo (local Anvil + store + real data)"
    )
    parser.add_argument("--owners", type=int, default=5, help="data owners, split by US state (5)")
    parser.add_argument("--rounds", type=int, default=3, help="training rounds (3)")
    parser.add_argument("--epsilon", type=float, default=3.0, help="each owner's total epsilon (3)")
    parser.add_argument("--bounty", type=float, default=10.0, help="bounty in ETH (10)")
    parser.add_argument("--target", type=float, default=0.72, help="target ROC-AUC (0.72)")
    parser.add_argument(
        "--no-ghost",
        action="store_true",
        help="skip scenario 2 (a lender who never evaluates; the owners claim the bounty)",
    )
    parser.add_argument(
        "--verified",
        action="store_true",
        help="post a verified model: a zero-knowledge proof of every round's score (EZKL; "
        "minutes per proof at the demo's size; local chain: an INSECURE locally made SRS)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo and print a summary (and JSON with --json)."""
    from fedlend.demo import DemoConfig, run_demo
    from fedlend.demo.report import summary
    from fedlend.settings import Settings

    config = DemoConfig(
        owners=args.owners,
        rounds=args.rounds,
        epsilon=args.epsilon,
        bounty_eth=args.bounty,
        target=args.target,
        ghost_lender=not args.no_ghost,
        verified=args.verified,
    )
    stream = sys.stderr if args.json else sys.stdout

    def say(line: str) -> None:
        print(line, file=stream, flush=True)

    result = run_demo(Settings.from_env(), config, say)
    print(summary(result), file=stream, flush=True)
    if args.json:
        print(json.dumps(asdict(result)))
    return 0 if all(result.checks.values()) else 1
