"""The client's reads: models, updates, balances and events, as typed records."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from web3 import Web3

from fedlend.chain.client_core import BATCH, ClientCore
from fedlend.chain.events import EventCursor, EventReader, UpdateEvaluated, UpdateSubmitted
from fedlend.chain.index import EventIndex
from fedlend.chain.rpc import rpc_errors
from fedlend.errors import ChainError
from fedlend.types import (
    Address,
    BasisPoints,
    Digest,
    ModelRecord,
    ModelStatus,
    UpdateRecord,
    UpdateStatus,
    Wei,
)


class ContractReads(ClientCore):
    """Typed views of the contract and its events (counts and digests from the event index)."""

    def balance_of(self, address: str | None = None) -> Wei:
        """An account's ETH balance in wei (default: this account; once per page scope)."""
        who = self._who(address, "balance_of")

        def read() -> Wei:
            with rpc_errors():
                return Wei(self.w3.eth.get_balance(who))

        return self._at_page_head(("balance", who), read)

    def owed(self, address: str | None = None) -> Wei:
        """Wei credited to `address` (default: this account) and not yet withdrawn."""
        return Wei(self._call("owed", self._who(address, "owed")))

    def has_pending_transactions(self) -> bool:
        """Whether this account has sent transactions the node has not mined yet."""
        if self.account is None:
            return False
        with rpc_errors():
            sender = Web3.to_checksum_address(self.account.address)
            pending = self.w3.eth.get_transaction_count(sender, "pending")
            mined = self.w3.eth.get_transaction_count(sender, "latest")
        return pending > mined

    def model_count(self) -> int:
        """How many models exist (ids 1..count)."""
        return int(self._call("modelCount"))

    def update_count(self) -> int:
        """How many updates exist (ids 1..count)."""
        return int(self._call("updateCount"))

    def get_model(self, model_id: int) -> ModelRecord:
        """One model's current state (its update_count from the incremental event index)."""
        raw = self._call("getModel", model_id)
        return _model_record(model_id, raw, self.index.submitted_count(model_id))

    @cached_property
    def index(self) -> EventIndex:
        """This client's incremental event index (reads only new blocks; resets on a reorg)."""
        reader = self.event_reader()
        return EventIndex(
            self.w3,
            self.deployed_block,
            lambda low, high: reader.fetch(from_block=low, to_block=high),
            latest=self.latest_block,
        )

    def models(self) -> list[ModelRecord]:
        """Every model, by id (one log scan counts the updates of all of them); reads at one
        chain head are shared, so concurrent pages cost one scan, not one each."""
        return list(self._at_head("models", self._read_models))

    def _read_models(self) -> list[ModelRecord]:
        counts = Counter(self.index.counts())
        ids = list(range(1, self.model_count() + 1))
        raws: list[Any] = []
        for start in range(0, len(ids), BATCH):  # one JSON-RPC batch per BATCH models
            raws += self._batch_calls("getModel", ids[start : start + BATCH])
        return [_model_record(i, raw, counts[i]) for i, raw in zip(ids, raws, strict=True)]

    def get_update(self, update_id: int) -> UpdateRecord:
        """One update's state; an accepted update's reward comes from its UpdateEvaluated event."""
        return self._update_at(update_id, None, block="latest")

    def update_status(self, update_id: int) -> UpdateStatus:
        """One update's status as the contract stores it (one call, no log scan)."""
        return UpdateStatus(self._call("getUpdate", update_id)[3])

    def update_statuses(self, update_ids: Sequence[int]) -> dict[int, UpdateStatus]:
        """Several updates' stored statuses, in JSON-RPC batches (no call per update)."""
        ids = list(update_ids)
        raws: list[Any] = []
        for start in range(0, len(ids), BATCH):
            raws += self._batch_calls("getUpdate", ids[start : start + BATCH])
        return {i: UpdateStatus(raw[3]) for i, raw in zip(ids, raws, strict=True)}

    def updates_of_model(self, model_id: int) -> list[UpdateRecord]:
        """Every update submitted to a model, by id, rebuilt from its events alone."""
        events = self.index.model_events(model_id)
        evaluated = {e.update_id: e for e in events if isinstance(e, UpdateEvaluated)}
        return [
            _record_from_events(e, evaluated.get(e.update_id))
            for e in events
            if isinstance(e, UpdateSubmitted)
        ]

    def updates_by(self, submitter: str) -> list[UpdateRecord]:
        """Every update one account submitted, by id, rebuilt from one scan of the logs."""
        return list(self._at_head(f"updates_by:{submitter.lower()}", lambda: self._by(submitter)))

    def _by(self, submitter: str) -> list[UpdateRecord]:
        return [_record_from_events(s, v) for s, v in self.index.updates_of(submitter)]

    def event_reader(self, *, page_size: int | None = None) -> EventReader:
        """A paginated log reader for this contract, starting at its deployment block."""
        return EventReader(
            self.w3,
            self.address,
            self.artifact.abi,
            start_block=self.deployed_block,
            page_size=page_size or self.page_size,
        )

    def events(self, **filters: Any) -> list[Any]:
        """Decoded events, oldest first (see EventReader.fetch for filters)."""
        return self.event_reader().fetch(**filters)

    def event_cursor(self, *, next_block: int | None = None) -> EventCursor:
        """An incremental event sync starting at `next_block` (default: deployment)."""
        return EventCursor(self.event_reader(), next_block=next_block)

    def _digest_of(self, update_id: int) -> Digest:
        found = self.index.submission(update_id)
        if found is not None:
            return Digest(found.digest)
        events = self.events(names=["UpdateSubmitted"], update_id=update_id)
        if not events:
            raise ChainError(
                f"update {update_id} has no UpdateSubmitted event: is the node pruning logs? "
                "use an archive node"
            )
        return Digest(events[0].digest)

    def _update_at(
        self, update_id: int, reward: Wei | None, *, block: Any, digest: Digest | None = None
    ) -> UpdateRecord:
        model_id, submitter, submitted_at, status, score = self._call(
            "getUpdate", update_id, block=block
        )
        digest = digest if digest is not None else self._digest_of(update_id)
        if reward is None:
            paid = status in (UpdateStatus.ACCEPTED, UpdateStatus.EXPIRED)
            reward = self._reward_of(update_id) if paid else Wei(0)
        return UpdateRecord(
            update_id=update_id,
            model_id=int(model_id),
            submitter=Address(submitter),
            digest=digest,
            submitted_at=int(submitted_at),
            status=UpdateStatus(status),
            score=BasisPoints(score),
            reward_wei=reward,
        )

    def _reward_of(self, update_id: int) -> Wei:
        events = self.events(names=["UpdateEvaluated"], update_id=update_id)
        return Wei(events[-1].reward_wei) if events else Wei(0)


def _model_record(model_id: int, raw: tuple[Any, ...], update_count: int) -> ModelRecord:
    lender, bounty, remaining, deadline, initial, target, best, status = raw[:8]
    review_period, pending, weights, spec, claim_share, closed = raw[8:]
    return ModelRecord(
        model_id=model_id,
        lender=Address(lender),
        weights=Digest(bytes(weights)),
        spec=Digest(bytes(spec)),
        bounty_wei=Wei(bounty),
        remaining_wei=Wei(remaining),
        initial_score=BasisPoints(initial),
        target_score=BasisPoints(target),
        best_score=BasisPoints(best),
        deadline=int(deadline),
        status=ModelStatus(status),
        update_count=update_count,
        review_period=int(review_period),
        pending_count=int(pending),
        claim_share_wei=Wei(claim_share),
        window_closed=bool(closed),
    )


def _record_from_events(sub: UpdateSubmitted, ev: UpdateEvaluated | None) -> UpdateRecord:
    return UpdateRecord(
        update_id=sub.update_id,
        model_id=sub.model_id,
        submitter=sub.submitter,
        digest=sub.digest,
        submitted_at=sub.submitted_at,
        status=ev.status if ev else UpdateStatus.PENDING,
        score=ev.score if ev else BasisPoints(0),
        reward_wei=ev.reward_wei if ev else Wei(0),
    )
