"""`fedlend audit`: rebuild a model's rounds from chain events and stored blobs; check them."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `audit` subcommand."""
    parser = sub.add_parser(
        "audit",
        help="check a lender's rounds: payouts, conservation, and (with its bundle) every share",
        description="Rebuild every round of a model from chain events and stored blobs and check "
        "payout arithmetic and conservation. With the lender's audit bundle and validation CSV, "
        "recompute every score, Shapley share and reward and name each mismatch.",
    )
    parser.add_argument("--model-id", type=int, required=True, help="the model to audit")
    parser.add_argument("--bundle", type=Path, help="the lender's exported audit bundle (JSON)")
    parser.add_argument("--data", type=Path, help="the lender's validation CSV (with --bundle)")
    parser.add_argument(
        "--circuit",
        action="store_true",
        help="for a verified model: rebuild its circuit from the spec and compare the Halo2 "
        "verifier's key and code (sets the circuit up once: minutes at full size)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Audit and print; exit 1 if anything does not match."""
    from fedlend.errors import ConfigError
    from fedlend.services.audit import audit_model
    from fedlend.services.audit_bundle import parse_bundle
    from fedlend.services.node import open_node
    from fedlend.settings import Settings

    if (args.bundle is None) != (args.data is None):
        raise ConfigError("give both --bundle and --data to recompute the shares, or neither")
    settings = Settings.from_env()
    node = open_node(settings)
    bundle = parse_bundle(args.bundle.read_bytes())[1] if args.bundle else None
    data = args.data.read_bytes() if args.data else None
    report = audit_model(node, args.model_id, bundle=bundle, validation_csv=data)
    if args.circuit and report.verified:
        from fedlend.services.circuit_check import audit_circuit
        from fedlend_core.progress import to_stderr

        audit_circuit(node, args.model_id, report, to_stderr("circuit"))
    if args.json:
        print(json.dumps({**vars(report), "ok": report.ok}, indent=2))
    else:
        print(
            f"model #{report.model_id}: {report.rounds} round(s), {report.updates} update(s), "
            f"{report.checks} checks, {report.recomputed_rounds} round(s) recomputed"
        )
        if report.verified:
            print(
                f"  verified model: {len(report.proven_rounds)} of {report.rounds} round(s) "
                "proven in zero knowledge (checked from chain data alone)"
            )
            verdict = "passed" if report.verifier_ok else "FAILED"
            print(f"  verifier check {verdict}: {report.verifier_check}")
            if report.circuit_ok is not None:
                verdict = "passed" if report.circuit_ok else "FAILED"
                print(f"  circuit check {verdict}: {report.circuit_check}")
            for tx in report.proven_rounds:
                print(f"  proven round {tx}")
        else:
            print("  unverified model: its scores are the lender's word (no proofs)")
        for problem in report.mismatches:
            print(f"  MISMATCH {problem}")
        print("all checks passed" if report.ok else f"{len(report.mismatches)} mismatch(es)")
    return 0 if report.ok else 1
