"""What anyone can see about bounties: on-chain records joined with their specs from storage."""

from __future__ import annotations

from dataclasses import dataclass

from fedlend.errors import SpecError, StorageError
from fedlend.services.node import Node
from fedlend.storage.cid import digest_to_cid
from fedlend.types import ModelRecord, ModelStatus
from fl.spec import ModelSpec

METRIC_LABELS = {"roc_auc": "ROC-AUC", "accuracy": "accuracy"}
ENCRYPTION_KEY = "encryption_key"  # spec metadata: the lender's X25519 public key (base64)
TITLE = "title"
VALIDATION_SHA256 = "validation_sha256"


@dataclass(frozen=True)
class Bounty:
    """A model and its bounty as a participant sees it."""

    record: ModelRecord
    spec: ModelSpec | None  # None when the spec could not be fetched (storage down or missing)
    spec_error: str
    chain_time: int

    @property
    def model_id(self) -> int:
        """The on-chain model id."""
        return self.record.model_id

    def require_spec(self) -> ModelSpec:
        """The spec, or SpecError saying why it could not be fetched."""
        if self.spec is None:
            raise SpecError(
                f"the spec of model #{self.model_id} is unavailable: {self.spec_error}; "
                "check that the content store is running and try again"
            )
        return self.spec

    @property
    def title(self) -> str:
        """The lender's title, or a default."""
        return (self.spec.metadata.get(TITLE) if self.spec else None) or f"Model #{self.model_id}"

    @property
    def metric(self) -> str:
        """The metric name in words."""
        return METRIC_LABELS.get(self.spec.metric, self.spec.metric) if self.spec else "?"

    @property
    def accepting(self) -> bool:
        """Open and before its deadline: submissions are possible."""
        return self.record.status == ModelStatus.OPEN and self.chain_time < self.record.deadline

    @property
    def state(self) -> str:
        """open / expired / completed / reclaimed."""
        if self.record.status == ModelStatus.OPEN:
            return "open" if self.accepting else "expired"
        return self.record.status.name.lower()

    @property
    def seconds_left(self) -> int:
        """Seconds until the deadline (0 once passed)."""
        return max(0, self.record.deadline - self.chain_time)

    @property
    def spec_cid(self) -> str:
        """The spec's IPFS CID."""
        return digest_to_cid(self.record.spec)

    @property
    def weights_cid(self) -> str:
        """The current weights' IPFS CID."""
        return digest_to_cid(self.record.weights)


def load_bounty(node: Node, record: ModelRecord, *, chain_time: int | None = None) -> Bounty:
    """Join a record with its spec; a missing spec is reported, not raised."""
    now = node.client.chain_time() if chain_time is None else chain_time
    try:
        return Bounty(record, node.spec_of(record), "", now)
    except (StorageError, SpecError) as exc:
        return Bounty(record, None, str(exc), now)


def list_bounties(
    node: Node, *, lender: str | None = None, accepting_only: bool = False
) -> list[Bounty]:
    """Every model (optionally one lender's, or only those taking updates), newest first."""
    now = node.client.chain_time()
    records = [
        r for r in node.client.models() if lender is None or r.lender.lower() == lender.lower()
    ]
    bounties = [load_bounty(node, r, chain_time=now) for r in reversed(records)]
    return [b for b in bounties if b.accepting] if accepting_only else bounties
