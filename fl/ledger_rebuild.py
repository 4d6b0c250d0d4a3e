"""Rebuild a missing or damaged privacy ledger from charges the owner can prove.

The records come from the owner's own submissions (fedlend.services.ledger_rebuild). Each has a
key (the submission), so a record listed twice is booked once. The new ledger is built beside the
old path and moved into place in one rename; a damaged file is kept aside, never deleted. A
healthy ledger is never rebuilt: it already knows at least what the records prove.
"""

from __future__ import annotations

import math
import os
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fedlend_core.errors import LedgerError, PrivacyBudgetError
from fl.dp import Mechanism
from fl.privacy import PrivacyLedger, Spend


@dataclass(frozen=True)
class ProvenCharge:
    """A spend the owner's own submissions prove (dataset, epsilon, delta, and its key)."""

    owner: str
    dataset: str
    epsilon: float
    delta: float
    key: str  # e.g. "submission:<digest>"
    mechanism: Mechanism | None = None
    note: str = ""


@dataclass(frozen=True)
class RebuildReport:
    """What a rebuild booked, and where the old file went."""

    path: Path
    kept_aside: Path | None
    booked: int
    duplicates: int
    datasets: int


def ledger_health(path: Path) -> str:
    """ "missing", "damaged" or "healthy" (every dataset's total agrees with its charges)."""
    if not path.exists():
        return "missing"
    ledger = PrivacyLedger(path, create=False)
    try:
        for owner, dataset in ledger.datasets():
            ledger.verify(owner, dataset)
    except LedgerError:
        return "damaged"
    return "healthy"


def rebuild(path: str | Path, records: Iterable[ProvenCharge]) -> RebuildReport:
    """A fresh ledger at `path` holding every proven charge once (refuses a healthy ledger)."""
    path = Path(path)
    unique, duplicates = _dedupe(list(records))
    health = ledger_health(path)
    if health == "healthy":
        raise PrivacyBudgetError(
            f"the privacy ledger {path} is healthy: nothing to rebuild (it is never replaced by "
            "what submissions prove, which can only be less)"
        )
    building = path.with_name(f"{path.name}.rebuilding-{os.getpid()}")
    _remove(building)
    ledger = PrivacyLedger(building)
    for r in unique:
        ledger.charge(
            r.owner,
            r.dataset,
            Spend(r.epsilon, r.delta, r.mechanism, r.note),
            key=r.key,
            enforce=False,  # these spends already happened, over budget or not
        )
    _checkpoint(building)
    kept = None
    if health == "damaged":
        kept = path.with_name(f"{path.name}.damaged-{int(time.time())}")
        for suffix in ("", "-wal", "-shm"):  # the damaged file and its log, kept together
            old = path.with_name(path.name + suffix)
            if old.exists():
                os.replace(old, kept.with_name(kept.name + suffix))
    os.replace(building, path)
    datasets = len({(r.owner, r.dataset) for r in unique})
    return RebuildReport(path, kept, len(unique), duplicates, datasets)


def _dedupe(records: list[ProvenCharge]) -> tuple[list[ProvenCharge], int]:
    """Each key once; a bad record or a key proven with two different spends refuses it all."""
    seen: dict[tuple[str, str, str], ProvenCharge] = {}
    for r in records:
        _validate(r)
        slot = (r.owner, r.dataset, r.key)
        first = seen.setdefault(slot, r)
        if (first.epsilon, first.delta, first.mechanism) != (r.epsilon, r.delta, r.mechanism):
            raise PrivacyBudgetError(
                f"{r.key} is proven twice with different spends (epsilon {first.epsilon:.3g} "
                f"and {r.epsilon:.3g}): check the owner's records before rebuilding"
            )
    return list(seen.values()), len(records) - len(seen)


def _validate(r: ProvenCharge) -> None:
    fine = (
        all(isinstance(v, str) and v for v in (r.owner, r.dataset, r.key))
        and isinstance(r.epsilon, int | float)
        and math.isfinite(r.epsilon)
        and r.epsilon >= 0
        and isinstance(r.delta, int | float)
        and 0 <= r.delta < 1
    )
    if not fine:
        raise PrivacyBudgetError(
            f"a proven charge is malformed ({str(r)[:200]}): fix or drop it, then rebuild"
        )


def _checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the file, so renaming the file moves everything."""
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    _remove(path, main=False)


def _remove(path: Path, *, main: bool = True) -> None:
    companions = [path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    for p in [path, *companions] if main else companions:
        p.unlink(missing_ok=True)
