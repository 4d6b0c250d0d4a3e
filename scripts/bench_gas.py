"""Gas used by each ModelRepository call on a fresh Anvil, as a table or JSON, against targets.

.venv/bin/python scripts/bench_gas.py            # table
.venv/bin/python scripts/bench_gas.py --json     # machine-readable
.venv/bin/python scripts/bench_gas.py --check    # exit 1 if a target is exceeded

evaluateRound is measured at its worst: every update of the round is paid and is its owner's first
credit (a fresh `owed` slot each), for rounds of 1, 5, 10 and 50 updates.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import asdict, dataclass

from fedlend.chain.accounts import dev_accounts
from fedlend.chain.anvil import AnvilProcess
from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.compile import COMPILER_SETTINGS, find_compiler
from fedlend.chain.rpc import connect
from fedlend.chain.terms import ModelTerms
from fedlend.errors import ChainError
from fedlend.types import Digest

TARGETS = {"submitUpdate": 80_000, "evaluateUpdate (pays)": 80_000, "withdraw": 40_000}
ROUND_BASE, ROUND_PER_UPDATE = 60_000, 30_000  # evaluateRound <= base + per update * n
ROUND_SIZES = (1, 5, 10, 50)
OWNERS = 1 + max(ROUND_SIZES)  # Anvil dev accounts: the lender, then one per update
HOUR = 3_600


@dataclass(frozen=True)
class Row:
    """One measured call."""

    call: str
    case: str
    gas_used: int
    target: int | None

    @property
    def ok(self) -> bool:
        return self.target is None or self.gas_used <= self.target


def digest(label: str) -> Digest:
    """A deterministic 32-byte digest (so figures repeat run to run)."""
    return Digest(hashlib.sha256(label.encode()).digest())


def measure() -> list[Row]:
    """Deploy and exercise ModelRepository on a private Anvil; gasUsed of each receipt."""
    accounts = dev_accounts(OWNERS)
    with AnvilProcess(accounts=OWNERS) as node:
        w3 = connect(node.rpc_url)
        lender = ModelRepositoryClient.deploy(w3, accounts[0])
        owner = lender.with_account(accounts[1])
        other = lender.with_account(accounts[2])
        deployed = lender.deploy_receipt
        if deployed is None:
            raise ChainError("deploy() returned no receipt: the gas figures cannot start")
        rows = [Row("deploy", "ModelRepository", deployed.gas_used, None)]
        now = lender.chain_time()
        created = lender.create_model(
            ModelTerms(
                weights=digest("weights-0"),
                spec=digest("spec"),
                initial_score=6000,
                target_score=8000,
                deadline=now + 3600,
                bounty_wei=10**18 + 999,
                review_period=HOUR,
            )
        )
        rows.append(Row("createModel", "~1 ETH bounty", created.gas_used, None))
        model_id = created.value
        subs = [owner.submit_update(model_id, digest(f"update-{i}")) for i in range(10)]
        rows.append(Row("submitUpdate", "first", subs[0].gas_used, TARGETS["submitUpdate"]))
        rows.append(Row("submitUpdate", "tenth", subs[9].gas_used, TARGETS["submitUpdate"]))
        other_sub = other.submit_update(model_id, digest("update-other"))
        rows += _evaluations(lender, [s.value for s in subs], other_sub.value)
        leftover = [s.value for s in subs[4:]]
        lender.evaluate_round(
            model_id, leftover, [0] * len(leftover), score=0, new_weights=digest("x")
        )
        withdrawn = owner.withdraw()
        rows.append(Row("withdraw", "owner (EOA)", withdrawn.gas_used, TARGETS["withdraw"]))
        rows.append(Row("reclaim", "after completion", lender.reclaim(model_id).gas_used, None))
        rows.append(
            Row("withdraw", "lender (EOA)", lender.withdraw().gas_used, TARGETS["withdraw"])
        )
        rows += _rounds(lender, accounts[1:])
        rows += _claims(lender, accounts[1:4])
    return rows


def _rounds(lender: ModelRepositoryClient, owners: list) -> list[Row]:
    """One fresh model per round size; n owners each submit one update; all are paid."""
    rows = []
    for size in ROUND_SIZES:
        model_id = _model(lender, f"round-{size}")
        updates = [
            lender.with_account(owner).submit_update(model_id, digest(f"r{size}-{i}")).value
            for i, owner in enumerate(owners[:size])
        ]
        shares = [10_000 // size] * size
        shares[-1] += 10_000 - sum(shares)
        sent = lender.evaluate_round(
            model_id, updates, shares, score=7000, new_weights=digest(f"round-{size}")
        )
        limit = ROUND_BASE + ROUND_PER_UPDATE * size
        rows.append(
            Row("evaluateRound", f"{size} updates, all paid, first credits", sent.gas_used, limit)
        )
    return rows


def _claims(lender: ModelRepositoryClient, owners: list) -> list[Row]:
    """A lender who never judges: after the review window each owner claims."""
    model_id = _model(lender, "ghost")
    updates = [
        lender.with_account(o).submit_update(model_id, digest(f"ghost-{i}")).value
        for i, o in enumerate(owners)
    ]
    lender.w3.provider.make_request("evm_increaseTime", [3 * HOUR])  # type: ignore[arg-type]
    lender.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    first = lender.claim_unreviewed(updates[0])
    second = lender.claim_unreviewed(updates[1])
    reclaimed = lender.reclaim(model_id)
    return [
        Row("claimUnreviewed", "first claim (closes the window)", first.gas_used, None),
        Row("claimUnreviewed", "later claim", second.gas_used, None),
        Row("reclaim", "after the window, one claim reserved", reclaimed.gas_used, None),
    ]


def _model(lender: ModelRepositoryClient, label: str) -> int:
    return lender.create_model(
        ModelTerms(
            weights=digest(f"{label}-weights"),
            spec=digest(f"{label}-spec"),
            initial_score=6000,
            target_score=8000,
            deadline=lender.chain_time() + HOUR,
            bounty_wei=10**18,
            review_period=HOUR,
        )
    ).value


def _evaluations(lender: ModelRepositoryClient, updates: list[int], other: int) -> list[Row]:
    target = TARGETS["evaluateUpdate (pays)"]
    calls = [
        (updates[0], 6500, "pays, owner's first credit", target),
        (updates[1], 7000, "pays, owner already owed", target),
        (updates[2], 6900, "rejected (no payment)", None),
        (other, 7100, "pays, another owner's first credit", target),
        (updates[3], 8000, "pays and completes the model", target),
    ]
    rows = []
    for update_id, score, case, limit in calls:
        sent = lender.evaluate_update(update_id, score=score, new_weights=digest(f"w-{update_id}"))
        rows.append(Row("evaluateUpdate", case, sent.gas_used, limit))
    return rows


def render(rows: list[Row]) -> str:
    """A plain-text table."""
    compiler = find_compiler().label
    head = (
        f"ModelRepository gas ({compiler}, evm {COMPILER_SETTINGS['evmVersion']}, viaIR, runs 200)"
    )
    lines = [head, f"{'call':<16} {'case':<40} {'gasUsed':>9} {'target':>9}  ok"]
    for row in rows:
        target = f"{row.target:,}" if row.target else "-"
        ok = "yes" if row.ok else "NO"
        lines.append(f"{row.call:<16} {row.case:<40} {row.gas_used:>9,} {target:>9}  {ok}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure and print; with --check, fail if any call exceeds its target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is exceeded")
    args = parser.parse_args(argv)
    rows = measure()
    if args.json:
        print(json.dumps([{**asdict(r), "ok": r.ok} for r in rows], indent=2))
    else:
        print(render(rows))
    return 1 if args.check and not all(r.ok for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
