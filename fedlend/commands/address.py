"""`fedlend address ADDRESS`: risk level, score, reasons and investor profile of an address."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fedlend.services.signals import AddressReport


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `address` subcommand."""
    parser = sub.add_parser(
        "address",
        help="risk level (green/yellow/red/unknown), score h/t and profile of an address",
        description="Scan the connected chain (FEDLEND_RPC_URL) for the address's transactions "
        "and ERC-20 transfers, or read Etherscan CSV exports, and assess it with the served "
        "signals model.",
    )
    parser.add_argument("address", help="0x + 40 hex digits (checksummed or all one case)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--csv",
        type=Path,
        action="append",
        default=[],
        help="Etherscan export(s) instead of a scan",
    )
    parser.add_argument("--blacklist", type=Path, help="extra plain-text list of addresses")
    parser.add_argument("--from-block", type=int, help="first block to scan")
    parser.add_argument("--max-blocks", type=int, default=20_000, help="newest blocks to scan")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds the scan may take")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Assess and print."""
    from fedlend.chain.history import ScanConfig, parse_address
    from fedlend.chain.rpc import connect
    from fedlend.errors import DataError, FedlendError
    from fedlend.services import signals
    from fedlend.settings import Settings

    parse_address(args.address)  # a bad address is refused before anything slow
    config = signals.SignalsConfig(
        blacklist_file=args.blacklist,
        scan=ScanConfig(
            max_blocks=args.max_blocks, from_block=args.from_block, time_budget_s=args.time_limit
        ),
    )
    if args.csv:
        files = []
        for path in args.csv:
            try:
                files.append((str(path), path.read_bytes()))
            except OSError as exc:
                raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc
        report = signals.from_exports(config, args.address, files)
    else:
        settings = Settings.from_env()
        try:
            w3 = connect(settings.rpc_url, timeout=settings.rpc_timeout)
        except FedlendError as exc:
            print(f"fedlend: {exc}", file=sys.stderr)
            w3 = None
        report = signals.from_chain(config, w3, args.address, progress=_progress(args.json))
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return 0
    _print(report)
    return 0


def _progress(quiet: bool) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        if quiet:
            return
        width = 30
        filled = round(width * done / total) if total else width
        end = "\n" if done >= total else ""
        print(
            f"\rscanning blocks [{'#' * filled}{'.' * (width - filled)}] {done}/{total}",
            end=end,
            file=sys.stderr,
            flush=True,
        )

    return show


def _print(report: AddressReport) -> None:
    a = report.assessment
    marks = {"green": "[GREEN]", "yellow": "[YELLOW]", "red": "[RED]", "unknown": "[UNKNOWN]"}
    print(f"{report.address}: {marks[a.level]}  profile: {a.profile}")
    if a.score is not None:
        print(f"  risk score h/t   {a.score:.3f}  ({a.risky} risky of {a.total} records)")
    if a.probability is not None:
        bar = "#" * round(30 * a.probability)
        print(f"  classifier p     {a.probability:.3f}  {bar}")
    for reason in a.reasons:
        print(f"  - {reason}")
    print(
        f"  source: {report.source}; computed {report.computed_at_text}"
        + (f" at block {report.block}" if report.block is not None else "")
    )
    for note in report.notes:
        print(f"  note: {note}")
