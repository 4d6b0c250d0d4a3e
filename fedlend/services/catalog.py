"""What anyone can see about bounties: on-chain records joined with their specs from storage."""

from __future__ import annotations

from collections.abc import Callable
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
    malformed: bool = False  # the spec was fetched but is not a valid spec: hide it from lists

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
        return is_accepting(self.record, self.chain_time)

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


@dataclass(frozen=True)
class Hidden:
    """A model left out of a list because its content is malformed (hostile or broken)."""

    model_id: int
    reason: str


@dataclass(frozen=True)
class Listing:
    """The bounties a list shows, and the ones it hid with why."""

    bounties: list[Bounty]
    hidden: list[Hidden]
    records: tuple[ModelRecord, ...] = ()  # every model as read, listed or not (one read)
    chain_time: int = 0  # the chain time the list was judged at

    @property
    def note(self) -> str:
        """ "1 model hidden: <reason>" (or "" when nothing was hidden)."""
        if not self.hidden:
            return ""
        count = len(self.hidden)
        reasons = "; ".join(f"#{h.model_id}: {h.reason}" for h in self.hidden[:3])
        more = f"; and {count - 3} more" if count > 3 else ""
        return f"{count} model{'s' if count != 1 else ''} hidden: {reasons}{more}"


def load_bounty(node: Node, record: ModelRecord, *, chain_time: int | None = None) -> Bounty:
    """Join a record with its spec; a missing or malformed spec is reported, not raised."""
    now = node.client.chain_time() if chain_time is None else chain_time
    try:
        return Bounty(record, node.spec_of(record), "", now)
    except (StorageError, SpecError) as exc:
        return Bounty(record, None, str(exc), now, malformed=isinstance(exc, SpecError))


def browse(
    node: Node,
    *,
    lender: str | None = None,
    accepting_only: bool = False,
    keep: Callable[[ModelRecord, int], bool] | None = None,
) -> Listing:
    """Models to list, newest first; specs are fetched only for the models kept, and a model
    whose spec is malformed is hidden (with its reason) instead of breaking the list."""
    now = node.client.chain_time()
    models = tuple(node.client.models())
    records = [
        r
        for r in reversed(models)
        if (lender is None or r.lender.lower() == lender.lower())
        and (not accepting_only or is_accepting(r, now))
        and (keep is None or keep(r, now))
    ]
    shown, hidden = [], []
    for record in records:
        bounty = load_bounty(node, record, chain_time=now)
        if bounty.malformed:
            hidden.append(Hidden(record.model_id, bounty.spec_error))
        else:
            shown.append(bounty)
    return Listing(shown, hidden, models, now)


def list_bounties(
    node: Node, *, lender: str | None = None, accepting_only: bool = False
) -> list[Bounty]:
    """Every model (optionally one lender's, or only those taking updates) that can be shown."""
    return browse(node, lender=lender, accepting_only=accepting_only).bounties


def is_accepting(record: ModelRecord, now: int) -> bool:
    """Open and before its deadline at chain time `now`."""
    return record.status == ModelStatus.OPEN and now < record.deadline
