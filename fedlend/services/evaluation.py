"""The lender's evaluation pass: open every pending update, value the round, one evaluateRound.

A pass reads the model's events once, reconciles them with the contract's state (an update whose
evaluation event is gone but whose storage says judged is not pending), opens and checks every
pending update (one bad update is rejected with its reason and never blocks the others), values
the valid ones with `fl.strategy.ShapleyFedAvg`, sends ONE `evaluateRound` with the strategy's
shares and score, and records each update's Shapley value, share and reward in one transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from fedlend.chain.client import RoundReceipt
from fedlend.chain.rpc import Sent
from fedlend.errors import FedlendError, JobCancelledError, SealingError, UpdateRejectedError
from fedlend.sealing import OpenedUpdate, public_key_text
from fedlend.services import catalog
from fedlend.services.evaluation_records import round_row, update_row
from fedlend.services.lender import LenderService
from fedlend.services.pending import Pending, find_pending, weight_versions
from fedlend.services.record_rows import EvaluationRow
from fedlend.services.replay import seen_nonces
from fedlend.services.verified import is_verified
from fedlend.services.verified_rounds import ProvenRound, prove_round, send_proven_round
from fedlend.types import (
    BasisPoints,
    Digest,
    UpdateRecord,
    UpdateStatus,
    Wei,
)
from fedlend_core.progress import Progress
from fl.evaluate import validate_update
from fl.spec import ModelSpec
from fl.strategy import RoundResult, RoundUpdate, ShapleyFedAvg, StrategyConfig

__all__ = [
    "Evaluation",
    "Pending",
    "evaluate_pending",
    "find_pending",
    "open_one",
    "weight_versions",
]


@dataclass(frozen=True)
class Evaluation:
    """The outcome for one update of a round (what was sent on-chain and why)."""

    update_id: int
    submitter: str
    accepted: bool
    score: BasisPoints
    reward_wei: Wei
    reason: str
    epsilon: float | None
    n_examples: int | None
    gas_used: int
    metrics: dict[str, float] = field(default_factory=dict)
    shapley_value: float | None = None  # metric units; None if the update could not be opened
    share_bps: int = 0  # of the round's payout
    std_error: float = 0.0  # of the Shapley estimate (0 when exact)
    tx_hash: str = ""
    prove_seconds: float | None = None  # a verified round: how long its proof took (else None)


@dataclass(frozen=True)
class Opened:
    """A pending update that opened and passed every check."""

    record: UpdateRecord
    sealed: OpenedUpdate
    update: RoundUpdate


def evaluate_pending(
    lender: LenderService,
    model_id: int,
    *,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    config: StrategyConfig | None = None,
) -> list[Evaluation]:
    """Judge the pending updates of one of the lender's models as one round (oldest first)."""
    report = progress or (lambda _f, _m: None)
    bounty = lender.own_bounty(model_id)
    spec = bounty.require_spec()
    _check_key(lender, spec)
    found = find_pending(lender, bounty.record)
    if not found.updates:
        report(1.0, "nothing to evaluate")
        return []
    report(0.02, f"opening {len(found.updates)} pending update(s)")
    seen = seen_nonces(lender, model_id, found.judged_ids, found.judged)
    opened, refused = _open_all(lender, spec, found, seen, report, cancel)
    result = None
    if opened:
        report(0.5, f"valuing {len(opened)} valid update(s) (Shapley)")
        validation = lender.validation(spec)
        strategy = ShapleyFedAvg(spec, validation.X, validation.labels, config or StrategyConfig())
        current = lender.node.weights_at(spec, found.model.weights)
        result = strategy.evaluate_round(
            current, [o.update for o in opened], best_bps=found.model.best_score
        )
    claim = None
    if is_verified(spec):  # its round claims the proven score of the quantized aggregate
        claim = prove_round(lender, spec, found.model, result, progress=report, cancel=cancel)
    report(0.9, "sending evaluateVerifiedRound" if claim else "sending evaluateRound")
    evaluations = _send_round(lender, spec, Judged(found, opened, refused, result, claim))
    more = f"; {found.waiting} more wait for the next pass" if found.waiting else ""
    report(1.0, f"evaluated {len(evaluations)} update(s) in one round{more}")
    return evaluations


def _check_key(lender: LenderService, spec: ModelSpec) -> None:
    """Refuse to judge (and so to reject on-chain) updates this account cannot decrypt."""
    published = spec.metadata.get(catalog.ENCRYPTION_KEY, "")
    if published and published != public_key_text(lender.keypair.public):
        raise SealingError(
            "this account's decryption key is not the one the bounty published, so no update "
            "could be opened: sign in with the account (and wallet) that posted the bounty",
            reason="wrong-key",
        )


def _open_all(
    lender: LenderService,
    spec: ModelSpec,
    found: Pending,
    seen: set[str],
    report: Progress,
    cancel: Callable[[], bool] | None,
) -> tuple[list[Opened], dict[int, str]]:
    opened: list[Opened] = []
    refused: dict[int, str] = {}
    total = len(found.updates)
    for i, update in enumerate(found.updates):
        if cancel is not None and cancel():
            raise JobCancelledError(f"evaluation cancelled after opening {i} of {total} updates")
        report(0.05 + 0.4 * i / total, f"opening update #{update.update_id}")
        try:
            item = open_one(lender, spec, found.versions, update, seen)
        except FedlendError as exc:  # one bad update is rejected; the others are still judged
            refused[update.update_id] = f"refused: {exc}"
            continue
        seen.add(item.sealed.header.nonce)  # a copy later in the same round is a replay
        opened.append(item)
    return opened, refused


def open_one(
    lender: LenderService,
    spec: ModelSpec,
    versions: Sequence[Digest],
    update: UpdateRecord,
    seen: set[str],
) -> Opened:
    """Fetch, decrypt, verify and check one update; a FedlendError says why it is unusable."""
    node = lender.node
    sealed = lender.open_sealed(update, seen)
    base_digest = Digest(sealed.header.base_digest_bytes)
    if base_digest not in versions:
        raise UpdateRejectedError("trained on weights this model never had")
    base = node.weights_at(spec, base_digest)
    checked = validate_update(spec, sealed.payload, base_weights=base)
    staleness = len(versions) - 1 - list(versions).index(base_digest)
    n = sealed.header.n_examples
    return Opened(
        update, sealed, RoundUpdate(update.update_id, checked.weights, base, n, staleness)
    )


@dataclass(frozen=True)
class Judged:
    """One pass's verdicts before sending: opened and refused updates, the round, its proof."""

    found: Pending
    opened: list[Opened]
    refused: dict[int, str]
    result: RoundResult | None
    claim: ProvenRound | None = None  # a verified model's proven round


def _send(
    lender: LenderService, spec: ModelSpec, judged: Judged
) -> tuple[Sent[RoundReceipt], BasisPoints, dict[int, int]]:
    model, result, claim = judged.found.model, judged.result, judged.claim
    ids = [u.update_id for u in judged.found.updates]
    if claim is not None:
        return send_proven_round(lender, model.model_id, ids, claim), claim.score, claim.shares
    if result is not None and result.improves:
        score = BasisPoints(result.score_bps)
        digest = lender.node.put_weights(spec, result.weights)
    else:
        score = BasisPoints(min(result.score_bps, model.best_score) if result else model.best_score)
        digest = model.weights
    shares = dict(zip(result.keys, result.payout_shares_bps, strict=True)) if result else {}
    sent = lender.node.client.evaluate_round(
        model.model_id, ids, [shares.get(i, 0) for i in ids], score=score, new_weights=digest
    )
    return sent, score, shares


def _send_round(lender: LenderService, spec: ModelSpec, judged: Judged) -> list[Evaluation]:
    found, opened, refused, result = judged.found, judged.opened, judged.refused, judged.result
    model = found.model
    sent, score, shares = _send(lender, spec, judged)
    by_id = {o.record.update_id: o for o in opened}
    values = _values(result)
    rows: list[EvaluationRow] = []
    out: list[Evaluation] = []
    now = time.time()
    for record in sent.value.updates:
        item = by_id.get(record.update_id)
        value, error = values.get(record.update_id, (None, 0.0))
        reason = refused.get(record.update_id) or _reason(value, shares.get(record.update_id, 0))
        header = item.sealed.header if item else None
        evaluation = Evaluation(
            update_id=record.update_id,
            submitter=record.submitter,
            accepted=record.status == UpdateStatus.ACCEPTED,
            score=score,
            reward_wei=record.reward_wei,
            reason=reason,
            epsilon=header.epsilon if header else None,
            n_examples=header.n_examples if header else None,
            gas_used=sent.gas_used,
            metrics=result.metrics.to_dict() if result and item else {},
            shapley_value=value,
            share_bps=shares.get(record.update_id, 0),
            std_error=error,
            tx_hash=sent.tx_hash,
            prove_seconds=judged.claim.proven.seconds if judged.claim else None,
        )
        out.append(evaluation)
        rows.append(update_row(evaluation, record, header.nonce if header else None, header, now))
    lender.records.upsert_many(rows)
    lender.records.upsert(round_row(model, len(found.updates), result, sent, score, now))
    return out


def _values(result: RoundResult | None) -> dict[int, tuple[float, float]]:
    if result is None:
        return {}
    return {
        k: (v, e) for k, v, e in zip(result.keys, result.values, result.std_errors, strict=True)
    }


def _reason(value: float | None, share: int) -> str:
    if share:
        return "improved the model"
    if value is not None and value <= 0:
        return f"added nothing to the round (Shapley value {value:+.5f})"
    return "the round's aggregate did not beat the best score"
