"""What the owner app shows: datasets and their privacy, a contribution pre-flight, results."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from fedlend.amounts import eth_rounded
from fedlend.errors import FedlendError, NotFoundError, PrivacyBudgetError
from fedlend.services.catalog import Bounty, load_bounty
from fedlend.services.owner import OwnerService, Submission
from fedlend.services.record_rows import DatasetRow, SubmissionRow
from fedlend.types import ModelRecord, UpdateStatus
from fl.data import check_trainable, load_loans
from fl.dp import DPPlan, plan_dp
from fl.features import encode
from fl.privacy import Budget, Spent, compose

MIN_EPSILON = 0.05  # below this the noise drowns any signal: the update cannot help
MAX_EPSILON = 50.0  # above this DP protects next to nothing: refuse rather than pretend
MAX_BUDGET_EPSILON = 1000.0


@dataclass(frozen=True)
class DatasetView:
    """A kept dataset with its privacy account."""

    sha256: str
    name: str
    rows: int
    added_at: float
    spent: Spent
    budget: Budget
    remaining: Budget


@dataclass(frozen=True)
class PrivacyPoint:
    """The dataset's composed epsilon right after one charge."""

    charge: int
    note: str
    at: float
    epsilon: float  # this charge alone
    spent: float  # everything so far, composed


@dataclass(frozen=True)
class Preflight:
    """A contribution checked before any training: what it will cost and on how many loans."""

    bounty: Bounty
    dataset: DatasetView
    n_examples: int
    plan: DPPlan
    spent_after: Spent


@dataclass(frozen=True)
class SubmissionView:
    """One submission with its bounty's title and what the owner measured locally."""

    submission: Submission
    title: str
    metric: str
    dataset_name: str | None
    local_before: float | None
    bounty_wei: int = 0
    claimable: bool = False  # still pending after the lender's review window: claim its share

    @property
    def status(self) -> str:
        """pending / accepted / rejected (from the chain)."""
        return UpdateStatus(self.submission.record.status).name.lower()

    @property
    def outcome(self) -> str:
        """What happened to the update, in plain words (from the on-chain evaluation)."""
        record = self.submission.record
        scored = f"{record.score / 10_000:.4f} {self.metric}"
        if self.status == "pending":
            return "Waiting for the lender to score it on its private validation loans."
        if self.status == "accepted":
            share = f" ({100 * record.reward_wei / self.bounty_wei:.1f}% of the bounty)"
            return (
                f"Accepted: with your update the model scored {scored}; it earned you "
                f"{eth_rounded(record.reward_wei)}{share if self.bounty_wei else ''}, paid for "
                "the lift it added."
            )
        if record.score == 0:
            return (
                "Not used: the lender could not open or check it (sealed for another key, "
                "damaged, or it failed the lender's checks). No reward; the ε stays spent."
            )
        return (
            f"Not accepted: with your update the model scored {scored}, which did not beat its "
            "best score at the time. No reward, and it cost the bounty nothing; a single DP "
            "update rarely beats a model that already merged others."
        )


def parse_epsilon(text: str | None, *, what: str = "epsilon", upper: float = MAX_EPSILON) -> float:
    """A form's epsilon as a float in [MIN_EPSILON, upper]; else PrivacyBudgetError says why."""
    try:
        value = float((text or "").strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not MIN_EPSILON <= value <= upper:
        raise PrivacyBudgetError(
            f"{what} must be a number from {MIN_EPSILON:g} to {upper:g}; got {text!r}. "
            "Smaller means more noise and more privacy"
        )
    return value


def dataset_views(owner: OwnerService) -> list[DatasetView]:
    """Every kept dataset, newest first."""
    return [_view(owner, row) for row in reversed(owner.datasets())]


def dataset_view(owner: OwnerService, sha256: str) -> DatasetView:
    """One kept dataset; NotFoundError if this machine does not hold it."""
    row = owner.records.one(DatasetRow, sha256=sha256)
    if row is None:
        raise NotFoundError("that dataset is not on this machine: add the CSV on My data")
    return _view(owner, row)


def _view(owner: OwnerService, row: DatasetRow) -> DatasetView:
    spent, budget, remaining = owner.privacy(row.sha256)
    return DatasetView(row.sha256, row.name, row.rows, row.at, spent, budget, remaining)


def set_budget(owner: OwnerService, sha256: str, *, epsilon: float) -> DatasetView:
    """Change a kept dataset's total epsilon budget (its delta budget stays as it was)."""
    view = dataset_view(owner, sha256)
    owner.set_budget(sha256, epsilon=epsilon, delta=view.budget.delta)
    return dataset_view(owner, sha256)


def privacy_history(owner: OwnerService, sha256: str) -> list[PrivacyPoint]:
    """The dataset's spend after each charge, oldest first (what the epsilon chart draws)."""
    charges = owner.ledger.history(owner.node.address, sha256)
    return [
        PrivacyPoint(i + 1, c.note, c.at, c.epsilon, compose(charges[: i + 1]).epsilon)
        for i, c in enumerate(charges)
    ]


def closed_reason(bounty: Bounty) -> str | None:
    """Why a bounty takes no more updates, in words; None while it does."""
    if bounty.accepting:
        return None
    model = f"model #{bounty.model_id} ({bounty.title})"
    if bounty.state == "expired":
        when = datetime.fromtimestamp(bounty.record.deadline, tz=UTC).strftime("%Y-%m-%d %H:%M")
        return f"{model} no longer takes updates: its deadline passed ({when} UTC, chain time)"
    if bounty.state == "completed":
        return f"{model} is completed: it reached its target and no longer takes updates"
    return f"{model} was closed by its lender (bounty reclaimed): it no longer takes updates"


def preflight(
    owner: OwnerService, model_id: int, sha256: str, *, epsilon: float, epochs: int | None = None
) -> Preflight:
    """Everything a contribution checks before training: open bounty, data fit, privacy budget."""
    bounty = load_bounty(owner.node, owner.node.client.get_model(model_id))
    reason = closed_reason(bounty)
    if reason:
        raise FedlendError(f"{reason}. Pick another bounty on Open bounties")
    spec = bounty.require_spec()
    dataset = dataset_view(owner, sha256)
    data = encode(spec, load_loans(owner.dataset_bytes(sha256)))
    check_trainable(data.y)
    cfg = spec.training
    plan = plan_dp(
        data.n,
        epsilon=epsilon,
        delta=cfg.delta,
        batch_size=cfg.batch_size,
        epochs=epochs or cfg.epochs,
    )
    after = owner.ledger.check(
        owner.node.address, sha256, epsilon=plan.epsilon, delta=plan.delta, mechanism=plan.mechanism
    )
    return Preflight(bounty, dataset, data.n, plan, after)


def submission_views(owner: OwnerService) -> list[SubmissionView]:
    """This account's submissions, newest first, with titles (one batch of model reads, one
    parsed spec per digest, one read of the local records)."""
    names = {d.sha256: d.name for d in owner.datasets()}
    subs = owner.submissions()
    records = {r.model_id: r for r in owner.node.client.models()} if subs else {}
    local = {r.update_id: r for r in owner.records.rows(SubmissionRow)}
    now = owner.node.client.chain_time()
    bounties: dict[int, Bounty] = {}
    out = []
    for sub in subs:
        model_id = sub.record.model_id
        if model_id not in bounties:
            bounties[model_id] = load_bounty(owner.node, records[model_id], chain_time=now)
        row = local.get(sub.record.update_id)
        bounty = bounties[model_id]
        out.append(
            SubmissionView(
                sub,
                bounty.title,
                bounty.metric,
                names.get(sub.dataset or ""),
                row.local_before if row else None,
                int(bounty.record.bounty_wei),
                claimable=sub.record.status == UpdateStatus.PENDING
                and now >= bounty.record.review_ends,
            )
        )
    return out


@dataclass(frozen=True)
class Overview:
    """The owner's standing at a glance (the home page)."""

    datasets: int
    open_bounties: int
    submissions: int
    pending: int
    accepted: int
    earned_wei: int
    owed_wei: int


def overview(owner: OwnerService) -> Overview:
    """Counts and money from chain events and local records."""
    subs = owner.submissions()
    return Overview(
        datasets=len(owner.datasets()),
        open_bounties=len(owner.open_bounties()),
        submissions=len(subs),
        pending=sum(s.record.status == UpdateStatus.PENDING for s in subs),
        accepted=sum(s.record.status == UpdateStatus.ACCEPTED for s in subs),
        earned_wei=sum(int(s.record.reward_wei) for s in subs),
        owed_wei=int(owner.owed()),
    )


@dataclass(frozen=True)
class LenderRecord:
    """How a lender has kept its promise to judge updates in time (from chain events)."""

    judged: int  # updates it accepted or rejected (necessarily within the review window)
    claimed: int  # updates it left unjudged, later claimed by their owners
    overdue: int  # updates still pending after their model's review window


def lender_records(owner: OwnerService, models: Sequence[ModelRecord]) -> dict[str, LenderRecord]:
    """Per lender address: its record over every model, from the client's event index."""
    client = owner.node.client
    now = client.chain_time()
    lender_of = {r.model_id: r.lender for r in models}
    ends = {r.model_id: r.review_ends for r in models}
    status = client.index.statuses()
    tally: dict[str, list[int]] = {}
    for model_id, st in status.values():
        lender = lender_of.get(model_id)
        if lender is None:
            continue
        row = tally.setdefault(lender, [0, 0, 0])
        if st == UpdateStatus.EXPIRED:
            row[1] += 1
        elif st != UpdateStatus.PENDING:
            row[0] += 1
        elif now >= ends[model_id]:
            row[2] += 1
    return {lender: LenderRecord(*row) for lender, row in tally.items()}
