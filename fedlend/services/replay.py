"""Replay protection that survives lost records: seen nonces rebuilt from chain and store."""

from __future__ import annotations

from collections.abc import Iterable

from fedlend.errors import FedlendError
from fedlend.services.lender import LenderService
from fedlend.services.record_rows import NonceRow
from fedlend.types import UpdateRecord


def seen_nonces(
    lender: LenderService, model_id: int, judged_ids: frozenset[int], judged: Iterable[UpdateRecord]
) -> set[str]:
    """Nonces of the model's judged updates: from the records, and for any update the records
    no longer know (deleted or lost), re-read from its sealed blob and remembered again."""
    known = lender.records.nonce_ids(model_id)
    rebuilt = [
        NonceRow(u.update_id, model_id, _nonce_of(lender, u))
        for u in judged
        if u.update_id not in known
    ]
    lender.records.upsert_many(rebuilt)
    return lender.records.seen_nonces(model_id, judged_ids)


def _nonce_of(lender: LenderService, update: UpdateRecord) -> str | None:
    """The signed nonce in a judged update's blob; None if it never opened (no valid nonce)."""
    try:
        sealed = lender.open_sealed(update)
    except FedlendError:
        return None
    return sealed.header.nonce
