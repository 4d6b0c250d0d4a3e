"""Rebuild an owner's privacy ledger from what its own submissions prove (records + chain events).

Every charge that was submitted left a row in the owner's records (dataset, epsilon, delta) and an
UpdateSubmitted event from its account. A row proves a spend even if its event is gone (a chain
rollback: the update may still have been read). An event without a row (the records were lost too)
proves a spend of unknown size on an unknown dataset: the rebuild refuses until the owner states
an epsilon to book for each such submission on every kept dataset (conservative).
"""

from __future__ import annotations

from dataclasses import dataclass

from fedlend.chain.events import UpdateSubmitted
from fedlend.errors import LedgerError
from fedlend.services.owner import OwnerService
from fedlend.services.record_rows import SubmissionRow
from fl.ledger_rebuild import ProvenCharge, RebuildReport, ledger_health, rebuild


@dataclass(frozen=True)
class Proofs:
    """The charges an owner can prove, and the submissions whose spend is unknown."""

    charges: list[ProvenCharge]
    unaccounted: list[UpdateSubmitted]


def proofs(owner: OwnerService) -> Proofs:
    """Charges from the owner's submission records, and its on-chain submissions they miss."""
    me = owner.node.address.lower()
    rows = owner.records.rows(SubmissionRow, order="at")
    charges = [_from_row(owner.node.address, row) for row in rows]
    known = {c.key for c in charges}
    events = owner.node.client.events(names=["UpdateSubmitted"])
    unaccounted = [
        e
        for e in events
        if isinstance(e, UpdateSubmitted)
        and e.submitter.lower() == me
        and _key(e.digest.hex()) not in known
    ]
    return Proofs(charges, unaccounted)


def rebuild_owner_ledger(
    owner: OwnerService, *, assume_epsilon: float | None = None, assume_delta: float = 1e-5
) -> RebuildReport:
    """Rebuild a missing or damaged ledger; `assume_epsilon` books unaccounted submissions."""
    found = proofs(owner)
    charges = list(found.charges)
    if found.unaccounted:
        if assume_epsilon is None:
            ids = ", ".join(f"#{e.update_id}" for e in found.unaccounted[:20])
            raise LedgerError(
                f"{len(found.unaccounted)} of your on-chain submissions ({ids}) have no local "
                "record, so their privacy spend is unknown. Rebuild with --assume-epsilon E to "
                "book E for each of them on every kept dataset"
            )
        datasets = [d.sha256 for d in owner.datasets()]
        charges += [
            ProvenCharge(
                owner.node.address,
                sha,
                float(assume_epsilon),
                assume_delta,
                _key(e.digest.hex()),
                None,
                f"model {e.model_id} (update #{e.update_id}, assumed on rebuild)",
            )
            for e in found.unaccounted
            for sha in datasets
        ]
    return rebuild(owner.ledger.path, charges)


def health(owner: OwnerService) -> str:
    """ "missing", "damaged" or "healthy"."""
    return ledger_health(owner.ledger.path)


def _from_row(address: str, row: SubmissionRow) -> ProvenCharge:
    return ProvenCharge(
        address,
        row.dataset,
        row.epsilon,
        row.delta,
        _key(row.digest),
        None,
        f"model {row.model_id} (update #{row.update_id}, rebuilt)",
    )


def _key(digest_hex: str) -> str:
    return f"submission:{digest_hex}"
