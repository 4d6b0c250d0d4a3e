"""Print what a verified model costs through the whole lender flow (`fedlend demo --verified`)
against the same demo unverified: post and round gas, verifier deployment gas, setup and prove
seconds, and the total wall time; on a fresh Anvil each.

The default is a small configuration (the lender's 128 loans, 4 features: half of them, 64 rows,
is the validation set, the zk tests' circuit); `--full` runs the demo's real configuration
(4,750 lender loans, every usable column: a 2,375-row validation set), which takes as long as
its circuit's setup and proofs take on this machine. Keys are cached under build/zk-cache.

    .venv/bin/python scripts/bench_verified_flow.py              # small: seconds per proof
    .venv/bin/python scripts/bench_verified_flow.py --rounds 2 --owners 3
    .venv/bin/python scripts/bench_verified_flow.py --full       # the demo's size (slow)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fedlend.chain.anvil import AnvilProcess, free_port  # noqa: E402
from fedlend.demo import DemoConfig, DemoResult, run_demo  # noqa: E402
from fedlend.settings import Settings  # noqa: E402

CACHE = ROOT / "build" / "zk-cache"
SMALL_FEATURES = ("int_rate", "dti", "annual_inc", "fico_range_low")


def one_run(config: DemoConfig, *, quiet: bool) -> DemoResult:
    """The demo on its own fresh Anvil and home."""
    node = AnvilProcess(port=free_port()).start()
    try:
        home = Path(tempfile.mkdtemp(prefix="bench-verified-"))
        settings = Settings(home=home, rpc_url=node.rpc_url, zk_cache=CACHE)
        say = (lambda _line: None) if quiet else (lambda line: print(line, file=sys.stderr))
        return run_demo(settings, config, say)
    finally:
        node.stop()


def figures(plain: DemoResult, proven: DemoResult) -> dict[str, object]:
    """The before (unverified) and after (verified) figures of the same configuration."""
    v = proven.verified
    return {
        "createModel_gas": plain.gas.get("createModel"),
        "createVerifiedModel_gas": proven.gas.get("createVerifiedModel"),
        "evaluateRound_gas_max": plain.gas.get("evaluateRound"),
        "evaluateVerifiedRound_gas": [r["gas"] for r in v.get("rounds", [])],
        "verifier_deploy_gas": v.get("verifier_deploy_gas"),
        "setup_seconds": v.get("setup_seconds"),
        "prove_seconds_initial_then_rounds": v.get("prove_seconds"),
        "rounds_proven": [r["round"] for r in v.get("rounds", []) if r.get("proven")],
        "demo_seconds_unverified": plain.seconds,
        "demo_seconds_verified": proven.seconds,
        "final_score_unverified": plain.final_score,
        "final_score_verified": proven.final_score,
        "srs": v.get("srs"),
        "checks_ok": all(plain.checks.values()) and all(proven.checks.values()),
    }


def main() -> int:
    """Parse arguments, run both demos, print the figures (JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--owners", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--full", action="store_true", help="the demo's real validation set")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="the demos' progress on stderr")
    args = parser.parse_args()
    base = DemoConfig(owners=args.owners, rounds=args.rounds, bounty_eth=1.0, ghost_lender=False)
    if not args.full:
        base = replace(base, lender_rows=128, features=SMALL_FEATURES)
    plain = one_run(base, quiet=not args.verbose)
    proven = one_run(replace(base, verified=True), quiet=not args.verbose)
    out = figures(plain, proven)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        size = "the demo's full size" if args.full else "128 lender loans x 4 features (64 rows)"
        print(f"verified vs unverified demo, {size}, {args.owners} owners, {args.rounds} round(s):")
        for key, value in out.items():
            print(f"  {key:<36} {value}")
    return 0 if out["checks_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
