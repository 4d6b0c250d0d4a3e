"""An in-memory, incremental index of one contract's events: reads that do not grow with history.

Each refresh reads only the blocks mined since the last one. Before trusting what it holds, it
checks that the last block it read still has the same hash; if not (a reorg, or a local chain
restarted under the same address) it forgets everything and reads from the deployment block.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from web3 import Web3

from fedlend.chain.events import ChainEvent, UpdateEvaluated, UpdateSubmitted
from fedlend.chain.rpc import rpc_errors
from fedlend.types import UpdateStatus


@dataclass
class _State:
    """What has been read so far (mutable: only EventIndex touches it, under its lock)."""

    next_block: int
    last_hash: bytes | None = None
    by_model: dict[int, list[ChainEvent]] = field(default_factory=lambda: defaultdict(list))
    submitted: dict[int, UpdateSubmitted] = field(default_factory=dict)
    evaluated: dict[int, UpdateEvaluated] = field(default_factory=dict)
    by_submitter: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))


class EventIndex:
    """Events of one contract indexed by model, update and submitter, kept in step with the head."""

    def __init__(
        self,
        w3: Web3,
        start_block: int,
        fetch: Callable[[int, int], list[ChainEvent]],
        *,
        latest: Callable[[], Any] | None = None,
    ) -> None:
        self.w3 = w3
        self._latest = latest or self._latest_block
        self.start_block = start_block
        self._fetch = fetch
        self._lock = threading.Lock()
        self._state = _State(next_block=start_block)
        self.resets = 0  # how often a reorg or restart made it read everything again

    def refresh(self) -> _State:
        """Catch up with the latest block (from scratch if the last block read has changed)."""
        head = self._latest()
        with self._lock:
            number, head_hash = int(head["number"]), bytes(head["hash"])
            state = self._state
            last = state.next_block - 1
            if state.last_hash is not None and not self._still_there(last, number, head_hash):
                self.resets += 1
                state = self._state = _State(next_block=self.start_block)
            if state.next_block <= number:
                for event in self._fetch(state.next_block, number):
                    _add(state, event)
                state.next_block = number + 1
                state.last_hash = head_hash
            return state

    def _latest_block(self) -> Any:
        with rpc_errors():
            return self.w3.eth.get_block("latest")

    def _still_there(self, last: int, number: int, head_hash: bytes) -> bool:
        if last > number:
            return False
        if last == number:
            return head_hash == self._state.last_hash
        with rpc_errors():
            block = self.w3.eth.get_block(last)
        return bytes(block["hash"]) == self._state.last_hash

    def model_events(self, model_id: int) -> list[ChainEvent]:
        """One model's events, oldest first."""
        return list(self.refresh().by_model.get(model_id, ()))

    def submitted_count(self, model_id: int) -> int:
        """How many updates a model has received."""
        events = self.refresh().by_model.get(model_id, ())
        return sum(1 for e in events if isinstance(e, UpdateSubmitted))

    def counts(self) -> dict[int, int]:
        """Model id -> how many updates it has received."""
        state = self.refresh()
        found: dict[int, int] = defaultdict(int)
        for sub in state.submitted.values():
            found[sub.model_id] += 1
        return dict(found)

    def updates_of(self, submitter: str) -> list[tuple[UpdateSubmitted, UpdateEvaluated | None]]:
        """One account's submissions with their verdicts (None: pending), by update id."""
        state = self.refresh()
        ids = state.by_submitter.get(submitter.lower(), [])
        return [(state.submitted[i], state.evaluated.get(i)) for i in ids]

    def statuses(self) -> dict[int, tuple[int, UpdateStatus]]:
        """Update id -> (model id, latest status from events; PENDING if never judged)."""
        state = self.refresh()
        return {
            i: (sub.model_id, v.status if (v := state.evaluated.get(i)) else UpdateStatus.PENDING)
            for i, sub in state.submitted.items()
        }

    def submission(self, update_id: int) -> UpdateSubmitted | None:
        """The UpdateSubmitted event of one update (None if the index has not seen it)."""
        return self.refresh().submitted.get(update_id)

    def verdict(self, update_id: int) -> UpdateEvaluated | None:
        """The latest UpdateEvaluated event of one update (None: not judged)."""
        return self.refresh().evaluated.get(update_id)


def _add(state: _State, event: ChainEvent) -> None:
    model_id = getattr(event, "model_id", None)
    if isinstance(model_id, int):
        state.by_model[model_id].append(event)
    if isinstance(event, UpdateSubmitted):
        state.submitted[event.update_id] = event
        state.by_submitter[event.submitter.lower()].append(event.update_id)
    elif isinstance(event, UpdateEvaluated):
        state.evaluated[event.update_id] = event
