"""What a lender's app keeps on this computer about its own models, read with the chain down.

The event cache (the events this app has already read), the lender's evaluation records and the
content store (the spec and weights it posted) are all local: with the chain unreachable they
still say which models this account posted, on what terms, and give back their files. Nothing
here calls the chain; figures that only the chain knows now (what is left, the status) are not
shown as if current.
"""

from __future__ import annotations

from dataclasses import dataclass

from fedlend.chain.events import ModelCompleted, ModelCreated, RoundEvaluated, UpdateEvaluated
from fedlend.errors import FedlendError, NotFoundError
from fedlend.services.catalog import TITLE
from fedlend.services.event_cache import EventCache, TimedEvent
from fedlend.services.lender import LenderService
from fedlend.services.record_rows import EvaluationRow
from fedlend.services.spec_cache import specs_for
from fedlend.types import Digest
from fl.spec import ModelSpec

SPEC_FILE, WEIGHTS_FILE = "spec.json", "weights.safetensors"
FILES = (SPEC_FILE, WEIGHTS_FILE)


@dataclass(frozen=True)
class LocalModel:
    """One of this lender's models as this app last saw it."""

    created: ModelCreated
    posted_at: int
    weights: Digest  # the newest weights the kept events name
    rounds: int  # evaluation rounds seen
    judged_here: int  # updates this app's records say it judged
    spec: ModelSpec | None
    spec_error: str

    @property
    def model_id(self) -> int:
        """The on-chain model id."""
        return self.created.model_id

    @property
    def title(self) -> str:
        """The lender's title, or a default."""
        title = self.spec.metadata.get(TITLE) if self.spec else None
        return str(title) if title else f"Model #{self.model_id}"


def seen_models(lender: LenderService, events: EventCache) -> list[LocalModel]:
    """This account's models in the kept events, newest first."""
    timed = events.cached(lender.node.client.address)
    mine = lender.node.address.lower()
    ids = [
        t.event.model_id
        for t in timed
        if isinstance(t.event, ModelCreated) and t.event.lender.lower() == mine
    ]
    return [_model(lender, [t for t in timed if _of(t, i)]) for i in sorted(set(ids), reverse=True)]


def seen_model(lender: LenderService, events: EventCache, model_id: int) -> LocalModel:
    """One of this account's models from the kept events; NotFoundError if none was kept."""
    found = [m for m in seen_models(lender, events) if m.model_id == model_id]
    if not found:
        raise NotFoundError(
            f"this app has no local record of a model #{model_id} of yours: open it again "
            "once the chain answers"
        )
    return found[0]


def model_file(lender: LenderService, model: LocalModel, name: str) -> bytes:
    """spec.json or weights.safetensors as posted or last evaluated (verified by the store)."""
    if name == SPEC_FILE:
        return lender.node.get(model.created.spec)
    if name == WEIGHTS_FILE:
        return lender.node.get(model.weights)
    raise NotFoundError(f"a model's files are {' and '.join(FILES)}, not {name!r}")


def _of(timed: TimedEvent, model_id: int) -> bool:
    return getattr(timed.event, "model_id", None) == model_id


def _model(lender: LenderService, timed: list[TimedEvent]) -> LocalModel:
    created, posted_at = next(
        (t.event, t.timestamp) for t in timed if isinstance(t.event, ModelCreated)
    )
    weights = created.weights
    for t in timed:
        newer = _new_weights(t)
        if newer is not None and any(newer):
            weights = newer
    spec, error = _spec(lender, created)
    judged = lender.records.rows(EvaluationRow, model_id=created.model_id)
    return LocalModel(
        created=created,
        posted_at=posted_at,
        weights=weights,
        rounds=sum(isinstance(t.event, RoundEvaluated) for t in timed),
        judged_here=len(judged),
        spec=spec,
        spec_error=error,
    )


def _new_weights(timed: TimedEvent) -> Digest | None:
    event = timed.event
    if isinstance(event, RoundEvaluated | UpdateEvaluated):
        return event.new_weights
    if isinstance(event, ModelCompleted):
        return event.weights
    return None


def _spec(lender: LenderService, created: ModelCreated) -> tuple[ModelSpec | None, str]:
    store = lender.node.store
    try:
        return specs_for(store).get(created.spec, lambda: lender.node.get(created.spec)), ""
    except FedlendError as exc:
        return None, str(exc)
