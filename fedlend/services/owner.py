"""The data owner's work: keep datasets locally, check them, contribute DP updates, get paid.

Raw loans never leave this machine: only a sealed (signed, encrypted-to-the-lender) update trained
with DP-SGD is stored and announced on-chain. Privacy is charged to the owner's per-dataset ledger
when training finishes, before submission, so an update that is never submitted still counts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from fedlend.chain.rpc import Sent
from fedlend.errors import (
    ContractError,
    FedlendError,
    NotFoundError,
    PrivacyBudgetError,
)
from fedlend.private_files import keep_bytes
from fedlend.sealing import parse_public_key
from fedlend.services import catalog
from fedlend.services.catalog import Bounty, load_bounty
from fedlend.services.contribution import (
    ContributeJob,
    Contribution,
    Trained,
    contribution,
    seal,
    submission_row,
)
from fedlend.services.node import Node, state_dir
from fedlend.services.owner_data import DataCheck, inspect_data
from fedlend.services.owner_review import LocalChange, approved
from fedlend.services.record_rows import DatasetRow, SubmissionRow
from fedlend.services.records import OWNER, Records
from fedlend.types import Digest, UpdateRecord, UpdateStatus, Wei
from fedlend_core.progress import quiet
from fl.data import check_trainable, load_loans
from fl.evaluate import metric_value
from fl.features import encode
from fl.privacy import Budget, PrivacyLedger, Spent
from fl.train import TrainConfig, TrainHooks, train_update


@dataclass(frozen=True)
class Submission:
    """One of this owner's submissions, with its on-chain outcome."""

    record: UpdateRecord
    dataset: str | None
    epsilon: float | None
    n_examples: int | None
    local_after: float | None


class OwnerService:
    """What a data owner can do, signing with its node's account; data stays on this machine."""

    def __init__(
        self, node: Node, *, state: Path | None = None, budget_epsilon: float = 10.0
    ) -> None:
        self.node = node
        self.state = state or state_dir(node.settings, "owner", node.address)
        # a new, empty ledger only with new local state: a ledger missing beside existing
        # records was lost, and refuses training until `fedlend ledger rebuild`
        fresh = not (self.state / "owner.sqlite").exists()
        self.records = Records(self.state / "owner.sqlite", OWNER)
        self.ledger = PrivacyLedger(
            self.state / "privacy.sqlite", default_epsilon=budget_epsilon, create=fresh
        )

    # --- datasets ------------------------------------------------------------------------------
    def add_dataset(self, data: bytes, *, name: str) -> DataCheck:
        """Check and keep a CSV in this machine's data directory (identified by its sha256)."""
        report = self.check_data(data)
        path = keep_bytes(self.state / "data" / f"{report.sha256}.csv", data)
        self.records.upsert(
            DatasetRow(report.sha256, name[:200] or "dataset", str(path), report.rows, time.time())
        )
        return report

    def datasets(self) -> list[DatasetRow]:
        """The datasets this owner has added, oldest first."""
        return self.records.rows(DatasetRow, order="at")

    def dataset_bytes(self, sha256: str) -> bytes:
        """A kept dataset's bytes; NotFoundError if unknown."""
        row = self.records.one(DatasetRow, sha256=sha256)
        if row is None or not Path(row.path).exists():
            raise NotFoundError("that dataset is not on this machine: add the CSV again")
        return Path(row.path).read_bytes()

    def check_data(self, data: bytes, *, model_id: int | None = None) -> DataCheck:
        """Rows, default rate, missing values; with a model, which required columns fail."""
        return inspect_data(self.node, data, model_id=model_id)

    # --- bounties and privacy -------------------------------------------------------------------
    def open_bounties(self) -> list[Bounty]:
        """Every model still taking updates, newest first."""
        return catalog.list_bounties(self.node, accepting_only=True)

    def privacy(self, sha256: str) -> tuple[Spent, Budget, Budget]:
        """(spent so far, total budget, remaining) for one dataset."""
        owner = self.node.address
        return (
            self.ledger.spent(owner, sha256),
            self.ledger.budget(owner, sha256),
            self.ledger.remaining(owner, sha256),
        )

    def set_budget(self, sha256: str, *, epsilon: float, delta: float = 1e-4) -> None:
        """Set this dataset's total privacy budget."""
        self.ledger.set_budget(self.node.address, sha256, epsilon=epsilon, delta=delta)

    # --- contributing ----------------------------------------------------------------------------
    def contribute(
        self,
        model_id: int,
        sha256: str,
        config: TrainConfig,
        job: ContributeJob | None = None,
    ) -> Contribution:
        """Train on a kept dataset with DP-SGD (`config`: ε is required), seal the update to the
        lender and submit it; `job` says how the run reports, stops, keys its charge and asks."""
        job = job or ContributeJob()
        report = job.progress or quiet
        started = time.perf_counter()
        done = self._train(model_id, sha256, config, job)
        approved(done.change, job.confirm)  # a worse local estimate asks the owner first
        report(0.9, "sealing the update to the lender and storing it")
        digest = self.node.put(seal(self.node, done))
        report(0.95, "sending submitUpdate")
        sent = self._submit(model_id, digest, sha256, job.charge_key, done.change.epsilon)
        self.records.upsert(submission_row(sha256, digest, done, sent))
        report(1.0, f"submitted update #{sent.value}")
        return contribution(done, digest, sent, time.perf_counter() - started)

    def _train(
        self, model_id: int, sha256: str, config: TrainConfig, job: ContributeJob
    ) -> Trained:
        """Load the bounty and the dataset, train with DP (charging the ledger), score locally."""
        if config.epsilon is None:
            raise PrivacyBudgetError("a contribution trains with DP: give it an ε budget")
        report = job.progress or quiet
        bounty = load_bounty(self.node, self.node.client.get_model(model_id))
        if not bounty.accepting:
            raise FedlendError(f"model #{model_id} is {bounty.state}: it no longer takes updates")
        spec = bounty.require_spec()
        lender_key = parse_public_key(spec.metadata.get(catalog.ENCRYPTION_KEY, ""))
        data = encode(spec, load_loans(self.dataset_bytes(sha256)))
        check_trainable(data.y)  # before the ledger charges any epsilon
        base = self.node.weights_at(spec, bounty.record.weights)
        report(0.02, f"training on {data.n:,} loans with DP-SGD (epsilon {config.epsilon:g})")
        hooks = TrainHooks(
            progress=lambda f, m: report(0.02 + 0.85 * f, m),
            cancel=job.cancel,
            account=self.ledger.account(
                self.node.address, sha256, note=f"model {model_id}", key=job.charge_key
            ),
        )
        result = train_update(spec, base, data, config, hooks=hooks)
        if result.epsilon is None:
            raise PrivacyBudgetError(
                "training reported no ε for a private run: nothing was submitted; report this bug"
            )
        before, after = (
            metric_value(spec, w, data.X, data.labels, spec.metric) for w in (base, result.weights)
        )
        change = LocalChange(model_id, spec.metric, before, after, result.epsilon, result.delta)
        return Trained(bounty, lender_key, result, change)

    def _submit(
        self, model_id: int, digest: Digest, sha256: str, key: str | None, epsilon: float
    ) -> Sent[int]:
        """submitUpdate; a revert at the gas estimate (key or wallet mode) provably never
        broadcast it, so a keyed charge is refunded and the error says so. A mined revert
        (`sent_tx`), a timeout or a rejection in the wallet (a choice made after seeing the
        local result, so refunding it would let the result pick what is counted) keep it."""
        try:
            return self.node.client.submit_update(model_id, digest)
        except ContractError as exc:
            if (
                key is None
                or exc.sent_tx is not None
                or not self.ledger.refund(self.node.address, sha256, key=key)
            ):
                raise
            raise ContractError(
                f"{exc} The update was never sent, so its ε {epsilon:.3g} was refunded.",
                error_name=exc.error_name,
                args=exc.error_args,
            ) from exc

    # --- following up ----------------------------------------------------------------------------
    def submissions(self) -> list[Submission]:
        """Every update this account submitted (from chain events), newest first.

        One log scan and one read of the local records, however many submissions there are."""
        local = {r.update_id: r for r in self.records.rows(SubmissionRow)}
        out = []
        for record in reversed(self.node.client.updates_by(self.node.address)):
            row = local.get(record.update_id)
            if row is None:  # submitted elsewhere, or the local records were lost
                out.append(Submission(record, None, None, None, None))
            else:
                out.append(
                    Submission(record, row.dataset, row.epsilon, row.n_examples, row.local_after)
                )
        return out

    def owed(self) -> Wei:
        """What the contract owes this account."""
        return self.node.client.owed(self.node.address)

    def withdraw(self) -> Sent[Wei]:
        """Pay this account everything the contract owes it."""
        return self.node.client.withdraw()

    def claim(self, update_id: int) -> Sent[Wei]:
        """Claim an unjudged update's share after its model's review window closed."""
        record = self.node.client.get_update(update_id)
        if record.submitter.lower() != self.node.address.lower():
            raise FedlendError(f"update #{update_id} was submitted by {record.submitter}, not you")
        if record.status != UpdateStatus.PENDING:
            raise FedlendError(
                f"update #{update_id} is {record.status.name.lower()}: only a pending update "
                "can be claimed"
            )
        model = self.node.client.get_model(record.model_id)
        if self.node.client.chain_time() < model.review_ends:
            raise FedlendError(
                f"model #{model.model_id}'s lender may judge it until "
                f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(model.review_ends))}: "
                "claim after then if it is still pending"
            )
        return self.node.client.claim_unreviewed(update_id)
