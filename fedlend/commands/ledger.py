"""`fedlend ledger check|rebuild`: audit the owner's privacy ledger, or rebuild a lost one."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fedlend.services.owner import OwnerService


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `ledger` subcommand."""
    parser = sub.add_parser(
        "ledger",
        help="audit or rebuild the data owner's privacy ledger",
        description="check: re-compose every dataset's charges and compare with the stored totals. "
        "rebuild: recreate a missing or damaged ledger from this account's own submissions "
        "(its submission records and UpdateSubmitted events); the old file is kept aside.",
    )
    parser.add_argument("action", choices=("check", "rebuild"))
    parser.add_argument("--state", type=Path, help="the owner's state directory (default: home)")
    parser.add_argument(
        "--assume-epsilon",
        type=float,
        help="epsilon to book, on every kept dataset, for each on-chain submission with no record",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Open this account's owner state and audit or rebuild its ledger."""
    from fedlend.services import ledger_rebuild
    from fedlend.services.node import open_node
    from fedlend.services.owner import OwnerService
    from fedlend.settings import Settings

    owner = OwnerService(open_node(Settings.from_env()), state=args.state)
    if args.action == "check":
        return _check(owner, ledger_rebuild.health(owner))
    report = ledger_rebuild.rebuild_owner_ledger(owner, assume_epsilon=args.assume_epsilon)
    print(
        f"rebuilt {report.path}: {report.booked} charges on {report.datasets} datasets "
        f"({report.duplicates} listed twice, booked once)"
    )
    if report.kept_aside:
        print(f"the damaged ledger is kept at {report.kept_aside}")
    print(
        "budgets were reset to the default: set them again on the Data page if you had raised them"
    )
    for sha, spent in _spent(owner):
        print(f"  dataset {sha[:12]}: epsilon spent {spent:.3f}")
    return 0


def _check(owner: OwnerService, state: str) -> int:
    path = owner.ledger.path
    if state != "healthy":
        print(f"the privacy ledger {path} is {state}: run `fedlend ledger rebuild`")
        return 1
    print(f"the privacy ledger {path} is healthy")
    for sha, spent in _spent(owner):
        print(f"  dataset {sha[:12]}: epsilon spent {spent:.3f}")
    return 0


def _spent(owner: OwnerService) -> list[tuple[str, float]]:
    ledger, me = owner.ledger, owner.node.address
    return [(d, ledger.spent(o, d).epsilon) for o, d in ledger.datasets() if o == me]
