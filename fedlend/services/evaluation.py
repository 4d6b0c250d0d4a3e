"""The lender judges pending updates: open, verify, score on validation, merge, pay on-chain.

Within one call the accepted updates are merged greedily by FedAvg: each pending update is scored
as the model "batch base + FedAvg(updates accepted so far in this call + this one)", and accepted
(paid on-chain for the lift it adds) only if that model beats the best score. Averaging a batch
beats replacing the model with single noisy DP updates (fl/README.md, "Merge"; `fedlend simulate`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fedlend.chain.events import ModelCreated, UpdateEvaluated
from fedlend.errors import (
    BlobTooLargeError,
    ContentNotFoundError,
    IntegrityError,
    JobCancelledError,
    SealingError,
    SpecError,
    UpdateRejectedError,
)
from fedlend.sealing import open_update
from fedlend.services.lender import LenderService
from fedlend.types import BasisPoints, Digest, ModelStatus, UpdateRecord, UpdateStatus, Wei
from fedlend_core.progress import Progress
from fl.contribution import leave_one_out
from fl.evaluate import Metrics, score, score_bps, validate_update
from fl.features import EncodedData
from fl.merge import MergeInput, fedavg
from fl.models import Weights
from fl.spec import ModelSpec

MAX_EXAMPLES_WEIGHT = 100_000  # an owner's self-reported size counts at most this much


@dataclass(frozen=True)
class Evaluation:
    """The outcome of judging one update (what was sent on-chain and why)."""

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


@dataclass(frozen=True)
class _Judged:
    score: BasisPoints
    reason: str
    weights: Weights | None = None
    merge_input: MergeInput | None = None
    metrics: Metrics | None = None
    epsilon: float | None = None
    n_examples: int | None = None
    nonce: str | None = None
    delta: float | None = None


@dataclass
class _Batch:
    """The state of one evaluation pass over a model's pending updates."""

    spec: ModelSpec
    validation: EncodedData
    base: Weights
    versions: list[Digest]
    best: int
    weights_digest: Digest
    base_version: int = 0  # index in `versions` of `base`
    accepted: dict[str, MergeInput] = field(default_factory=dict)


def evaluate_pending(
    lender: LenderService,
    model_id: int,
    *,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
) -> list[Evaluation]:
    """Judge every pending update of one of the lender's models, oldest first."""
    report = progress or (lambda _f, _m: None)
    bounty = lender.own_bounty(model_id)
    spec = bounty.require_spec()
    client = lender.node.client
    pending = [u for u in client.updates_of_model(model_id) if u.status == UpdateStatus.PENDING]
    if not pending or bounty.record.status != ModelStatus.OPEN:
        report(1.0, "nothing to evaluate")
        return []
    report(0.02, "loading the validation set and the current model")
    batch = _Batch(
        spec=spec,
        validation=lender.validation(spec),
        base=lender.node.weights_at(spec, bounty.record.weights),
        versions=weight_versions(lender, model_id),
        best=bounty.record.best_score,
        weights_digest=bounty.record.weights,
    )
    batch.base_version = len(batch.versions) - 1
    results = []
    for i, update in enumerate(pending):
        if cancel is not None and cancel():
            raise JobCancelledError(f"evaluation cancelled after {i} of {len(pending)} updates")
        report(0.05 + 0.9 * i / len(pending), f"evaluating update #{update.update_id}")
        results.append(_evaluate_one(lender, batch, update))
        if client.get_model(model_id).status != ModelStatus.OPEN:
            break  # target reached: the model is complete, the rest stay unevaluated
    _record_contributions(lender, batch)
    report(1.0, f"evaluated {len(results)} update(s)")
    return results


def weight_versions(lender: LenderService, model_id: int) -> list[Digest]:
    """Every weights digest the model has had, oldest first (from events alone)."""
    events = lender.node.client.events(names=["ModelCreated", "UpdateEvaluated"], model_id=model_id)
    versions: list[Digest] = []
    for event in events:
        if isinstance(event, ModelCreated):
            versions.append(event.weights)
        elif isinstance(event, UpdateEvaluated) and event.status == UpdateStatus.ACCEPTED:
            versions.append(event.new_weights)
    return versions


def _evaluate_one(lender: LenderService, batch: _Batch, update: UpdateRecord) -> Evaluation:
    judged = _judge(lender, batch, update)
    weights, merge_input = judged.weights, judged.merge_input
    improves = judged.score > batch.best and weights is not None and merge_input is not None
    if improves and weights is not None:
        digest = lender.node.put_weights(batch.spec, weights)
    else:
        digest = batch.weights_digest
    sent = lender.node.client.evaluate_update(
        update.update_id, score=judged.score, new_weights=digest
    )
    reason = judged.reason
    if improves and merge_input is not None:
        batch.accepted[str(update.update_id)] = merge_input
        batch.best, batch.weights_digest = judged.score, digest
        batch.versions.append(digest)
        reason = "improved the model"
    elif not reason:
        reason = f"did not improve: {judged.score} <= best {batch.best} (basis points)"
    metrics = judged.metrics.to_dict() if judged.metrics else {}
    lender.records.upsert(
        "evaluations",
        {
            "update_id": update.update_id,
            "model_id": update.model_id,
            "submitter": update.submitter,
            "status": sent.value.status.name.lower(),
            "score": judged.score,
            "reward_wei": str(sent.value.reward_wei),
            "reason": reason,
            "epsilon": judged.epsilon,
            "delta": judged.delta,
            "n_examples": judged.n_examples,
            "metrics": metrics,
            "contribution": None,
            "nonce": judged.nonce,
            "tx_hash": sent.tx_hash,
            "gas_used": sent.gas_used,
            "at": time.time(),
        },
    )
    return Evaluation(
        update.update_id,
        update.submitter,
        sent.value.status == UpdateStatus.ACCEPTED,
        judged.score,
        sent.value.reward_wei,
        reason,
        judged.epsilon,
        judged.n_examples,
        sent.gas_used,
        metrics,
    )


def _judge(lender: LenderService, batch: _Batch, update: UpdateRecord) -> _Judged:
    """Score the model this update would give; a score of 0 with a reason if it is unusable."""
    node = lender.node
    try:
        blob = node.get(update.digest)
        seen = {r["nonce"] for r in lender.records.rows("evaluations") if r["nonce"]}
        opened = open_update(
            blob,
            lender_private_key=lender.keypair.private,
            expected_submitter=update.submitter,
            expected_model_id=update.model_id,
            expected_chain_id=node.chain_id,
            expected_contract=node.client.address,
            max_blob_bytes=node.settings.max_blob_bytes,
            seen_nonces=seen,
        )
        header = opened.header
        base_digest = Digest(bytes.fromhex(header.base_digest[2:]))
        if base_digest not in batch.versions:
            raise UpdateRejectedError("trained on weights this model never had")
        base = node.weights_at(batch.spec, base_digest)
        checked = validate_update(batch.spec, opened.payload, base_weights=base)
    except (ContentNotFoundError, IntegrityError, BlobTooLargeError) as exc:
        return _Judged(BasisPoints(0), f"unreadable: {exc}")
    except (SealingError, UpdateRejectedError, SpecError) as exc:
        return _Judged(BasisPoints(0), f"refused: {exc}")
    staleness = max(0, batch.base_version - batch.versions.index(base_digest))
    merge_input = MergeInput(checked.weights, base, header.num_examples, staleness)
    inputs = [*batch.accepted.values(), merge_input]
    candidate = fedavg(batch.base, inputs, max_examples=MAX_EXAMPLES_WEIGHT)
    metrics = score(batch.spec, candidate, batch.validation.X, batch.validation.labels)
    return _Judged(
        score_bps(batch.spec, metrics),
        "",
        candidate,
        merge_input,
        metrics,
        header.epsilon,
        header.num_examples,
        header.nonce,
        header.delta,
    )


def _record_contributions(lender: LenderService, batch: _Batch) -> None:
    """Leave-one-out value of each update accepted in this pass (display only: moves no money)."""
    if not batch.accepted:
        return
    values = leave_one_out(
        batch.spec, batch.base, batch.accepted, batch.validation.X, batch.validation.labels
    )
    for key, value in values.items():
        row = lender.records.one("evaluations", update_id=int(key))
        if row is not None:
            row["contribution"] = float(value)
            lender.records.upsert("evaluations", row)
