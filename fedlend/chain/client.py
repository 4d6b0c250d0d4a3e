"""ModelRepositoryClient: the one typed door to the contract (the only module using its ABI)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract

from fedlend.chain import head as one_head
from fedlend.chain.accounts import load_account
from fedlend.chain.compile import Artifact, load_artifact
from fedlend.chain.events import (
    DEFAULT_PAGE_SIZE,
    EventCursor,
    EventReader,
    UpdateEvaluated,
    UpdateSubmitted,
)
from fedlend.chain.index import EventIndex
from fedlend.chain.prepared import ExternalSigner
from fedlend.chain.revert import RevertDecoder
from fedlend.chain.rpc import Sent, connect, rpc_errors, send_call, sent
from fedlend.chain.terms import ModelTerms, ProofClaim
from fedlend.errors import ChainError, ConfigError
from fedlend.settings import Settings
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

__all__ = ["ModelRepositoryClient", "ModelTerms", "ProofClaim", "RoundReceipt", "Sent"]
CONTRACT_NAME = "ModelRepository"
BATCH = 200  # view calls per JSON-RPC batch request


@dataclass(frozen=True)
class RoundReceipt:
    """What one evaluateRound did: the round's payout and each judged update's record."""

    model_id: int
    score: BasisPoints
    previous_best: BasisPoints
    payout_wei: Wei
    updates: tuple[UpdateRecord, ...]


class ModelRepositoryClient:
    """Typed calls to one deployed ModelRepository; sends are signed locally by `account`, or
    handed to an ExternalSigner (a browser wallet) that prepares, has them sent and follows them."""

    def __init__(
        self,
        w3: Web3,
        address: str,
        account: LocalAccount | ExternalSigner | None = None,
        *,
        artifact: Artifact | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        self.w3 = w3
        self.artifact = artifact or load_artifact(CONTRACT_NAME)
        self.contract: Contract = w3.eth.contract(
            address=Web3.to_checksum_address(address), abi=self.artifact.abi
        )
        self.account = account
        self.page_size = page_size
        self._revert = RevertDecoder(self.artifact.abi)
        self.deploy_receipt: Sent[str] | None = None  # set by deploy()
        self._head_memo: dict[str, tuple[bytes, Any]] = {}
        self._head_lock = threading.Lock()
        self._page_memo = one_head.HeadMemo()

    # --- construction ----------------------------------------------------------------------
    @classmethod
    def connect(
        cls,
        settings: Settings,
        *,
        account: LocalAccount | ExternalSigner | None = None,
        read_only: bool = False,
    ) -> ModelRepositoryClient:
        """A client on Settings' RPC URL and contract, signing with Settings' account if any."""
        w3 = connect(settings.rpc_url, timeout=settings.rpc_timeout)
        chain_id = w3.eth.chain_id
        address = settings.resolve_contract(chain_id)
        if account is None and not read_only and _has_account(settings):
            account = load_account(settings, chain_id=chain_id)
        client = cls(w3, address, account)
        client.check_deployed()
        return client

    @classmethod
    def deploy(
        cls, w3: Web3, account: LocalAccount, *, artifact: Artifact | None = None
    ) -> ModelRepositoryClient:
        """Deploy a fresh ModelRepository from `account` and return a client on it."""
        artifact = artifact or load_artifact(CONTRACT_NAME)
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        receipt = send_call(w3, account, factory.constructor())
        client = cls(w3, receipt["contractAddress"], account, artifact=artifact)
        client.deploy_receipt = sent(receipt, client.address)
        return client

    def with_account(self, account: LocalAccount | ExternalSigner | None) -> ModelRepositoryClient:
        """The same contract, signing with another account."""
        return ModelRepositoryClient(
            self.w3, self.address, account, artifact=self.artifact, page_size=self.page_size
        )

    def check_deployed(self) -> None:
        """Raise ConfigError if no contract code lives at the address on this chain."""
        with rpc_errors():
            code = self.w3.eth.get_code(self.contract.address)
        if not code:
            raise ConfigError(
                f"no contract at {self.address} on chain {self.chain_id}: run `fedlend deploy` "
                "(a restarted chain without --state forgets deployments)"
            )

    # --- properties --------------------------------------------------------------------------
    @property
    def address(self) -> Address:
        """The contract's checksummed address."""
        return Address(self.contract.address)

    @property
    def account_address(self) -> Address | None:
        """The signing account's address (None for a read-only client)."""
        return Address(self.account.address) if self.account else None

    @cached_property
    def chain_id(self) -> int:
        """The chain id of the connected node."""
        with rpc_errors():
            return int(self.w3.eth.chain_id)

    @cached_property
    def deployed_block(self) -> int:
        """The block the contract was deployed in (where event scans start)."""
        return int(self._call("deployedBlock"))

    def balance_of(self, address: str | None = None) -> Wei:
        """An account's ETH balance in wei (default: this account; once per page scope)."""
        who = self._who(address, "balance_of")

        def read() -> Wei:
            with rpc_errors():
                return Wei(self.w3.eth.get_balance(who))

        return self._at_page_head(("balance", who), read)

    def latest_block(self) -> Any:
        """The latest block (read once per page scope: see fedlend.chain.head)."""

        def read() -> Any:
            with rpc_errors():
                return self.w3.eth.get_block("latest")

        return one_head.remembered(("latest", id(self.w3)), read)

    def chain_time(self) -> int:
        """The latest block's timestamp (what deadlines are compared with)."""
        return int(self.latest_block()["timestamp"])

    # --- transactions ------------------------------------------------------------------------
    def create_model(self, terms: ModelTerms) -> Sent[int]:
        """Escrow the terms' bounty for improving their weights, promising to judge every update
        within the review period after the deadline; returns the new model id."""
        call = self.contract.functions.createModel(*_terms(terms))
        return self._created(call, terms.bounty_wei)

    def create_verified_model(
        self, terms: ModelTerms, verifier: str, claim: ProofClaim
    ) -> Sent[int]:
        """As create_model, with a proof by `verifier` of the initial score for the weights
        (sha256 of the proof's public weights); the proof's data commitment is fixed for every
        round."""
        call = self.contract.functions.createVerifiedModel(
            *_terms(terms),
            Web3.to_checksum_address(verifier),
            bytes(claim.proof),
            list(claim.instances),
        )
        return self._created(call, terms.bounty_wei)

    def _created(self, call: Any, bounty_wei: int) -> Sent[int]:
        """Send a create call escrowing `bounty_wei`; the new model id from ModelCreated."""
        receipt = self._send(call, value=bounty_wei)
        return sent(receipt, self._receipt_event(receipt, "ModelCreated")["modelId"])

    def get_verification(self, model_id: int) -> tuple[str, bytes] | None:
        """A verified model's (verifier address, data commitment); None if it is unverified."""
        verifier, commitment = self._call("getVerification", model_id)
        if int(verifier, 16) == 0:
            return None
        return str(verifier), bytes(commitment)

    def submit_update(self, model_id: int, digest: Digest) -> Sent[int]:
        """Offer the update stored under `digest` to a model; returns the new update id."""
        receipt = self._send(self.contract.functions.submitUpdate(model_id, _digest(digest)))
        return sent(receipt, self._receipt_event(receipt, "UpdateSubmitted")["updateId"])

    def evaluate_update(
        self, update_id: int, *, score: int, new_weights: Digest
    ) -> Sent[UpdateRecord]:
        """Record the lender's score (bps) for an update; returns the evaluated record."""
        call = self.contract.functions.evaluateUpdate(update_id, score, _digest(new_weights))
        receipt = self._send(call)
        reward = self._receipt_event(receipt, "UpdateEvaluated")["reward"]
        record = self._update_at(update_id, Wei(reward), block=receipt["blockNumber"])
        return sent(receipt, record)

    def evaluate_round(
        self,
        model_id: int,
        update_ids: Sequence[int],
        shares: Sequence[int],
        *,
        score: int,
        new_weights: Digest,
    ) -> Sent[RoundReceipt]:
        """Judge several pending updates of one model at once (shares in bps, 0 = rejected)."""
        call = self.contract.functions.evaluateRound(
            model_id, list(update_ids), list(shares), score, _digest(new_weights)
        )
        return self._round_receipt(self._send(call), model_id, update_ids)

    def evaluate_verified_round(
        self,
        model_id: int,
        update_ids: Sequence[int],
        shares: Sequence[int],
        *,
        score: int,
        new_weights: Digest,
        claim: ProofClaim,
    ) -> Sent[RoundReceipt]:
        """evaluate_round for a verified model, with the proof of `score` and its public outputs
        (`new_weights`: sha256 of the proof's public weights, as zk.outputs.weights_digest)."""
        call = self.contract.functions.evaluateVerifiedRound(
            model_id,
            list(update_ids),
            list(shares),
            score,
            _digest(new_weights),
            bytes(claim.proof),
            list(claim.instances),
        )
        return self._round_receipt(self._send(call), model_id, update_ids)

    def _round_receipt(
        self, receipt: dict[str, Any], model_id: int, update_ids: Sequence[int]
    ) -> Sent[RoundReceipt]:
        verdicts = {int(e["updateId"]): e for e in self._receipt_events(receipt, "UpdateEvaluated")}
        subs = self.index.refresh().submitted  # one refresh for the whole round
        block = receipt["blockNumber"]
        records = tuple(self._judged(i, verdicts[i], block, subs.get(i)) for i in update_ids)
        summary = self._receipt_event(receipt, "RoundEvaluated")
        round_ = RoundReceipt(
            model_id=model_id,
            score=BasisPoints(summary["score"]),
            previous_best=BasisPoints(summary["previousBest"]),
            payout_wei=Wei(summary["payout"]),
            updates=records,
        )
        return sent(receipt, round_)

    def claim_unreviewed(self, update_id: int) -> Sent[Wei]:
        """Credit a still-pending update's submitter its share after the review window closed."""
        receipt = self._send(self.contract.functions.claimUnreviewed(update_id))
        return sent(receipt, Wei(self._receipt_event(receipt, "UpdateEvaluated")["reward"]))

    def reclaim(self, model_id: int) -> Sent[Wei]:
        """Credit the lender with what is left of a model's bounty; returns the amount."""
        receipt = self._send(self.contract.functions.reclaim(model_id))
        return sent(receipt, Wei(self._receipt_event(receipt, "BountyReclaimed")["amount"]))

    def withdraw(self) -> Sent[Wei]:
        """Pay this account everything owed to it; returns the amount."""
        receipt = self._send(self.contract.functions.withdraw())
        return sent(receipt, Wei(self._receipt_event(receipt, "Withdrawn")["amount"]))

    # --- views -------------------------------------------------------------------------------
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

    def _at_head(self, name: str, compute: Callable[[], list[Any]]) -> list[Any]:
        """compute(), remembered until the latest block's hash changes (a restart or reorg too)."""
        head = bytes(self.latest_block()["hash"])
        with self._head_lock:
            hit = self._head_memo.get(name)
        if hit is not None and hit[0] == head:
            return hit[1]
        value = compute()
        with self._head_lock:
            self._head_memo[name] = (head, value)
        return value

    def _read_models(self) -> list[ModelRecord]:
        counts = Counter(self.index.counts())
        ids = list(range(1, self.model_count() + 1))
        raws: list[Any] = []
        for start in range(0, len(ids), BATCH):  # one JSON-RPC batch per BATCH models
            raws += self._batch_calls("getModel", ids[start : start + BATCH])
        return [_model_record(i, raw, counts[i]) for i, raw in zip(ids, raws, strict=True)]

    def _batch_calls(self, name: str, args: list[Any]) -> list[Any]:
        """The same view called once per argument, in one JSON-RPC batch request."""
        if len(args) < 2:
            return [self._call(name, a) for a in args]
        with self._revert.translated(), rpc_errors(), self.w3.batch_requests() as batch:
            for arg in args:
                batch.add(getattr(self.contract.functions, name)(arg))
            return list(batch.execute())

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

    def owed(self, address: str | None = None) -> Wei:
        """Wei credited to `address` (default: this account) and not yet withdrawn."""
        return Wei(self._call("owed", self._who(address, "owed")))

    def _who(self, address: str | None, what: str) -> ChecksumAddress:
        who = address or self.account_address
        if who is None:
            raise ConfigError(f"{what}() of whom? pass an address or use a client with an account")
        return Web3.to_checksum_address(who)

    def has_pending_transactions(self) -> bool:
        """Whether this account has sent transactions the node has not mined yet."""
        if self.account is None:
            return False
        with rpc_errors():
            sender = Web3.to_checksum_address(self.account.address)
            pending = self.w3.eth.get_transaction_count(sender, "pending")
            mined = self.w3.eth.get_transaction_count(sender, "latest")
        return pending > mined

    # --- events ------------------------------------------------------------------------------
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

    # --- internals ---------------------------------------------------------------------------
    def _call(self, name: str, *args: Any, block: Any = "latest") -> Any:
        """A view call; at "latest", answered once per page scope (fedlend.chain.head)."""

        def read() -> Any:
            with self._revert.translated(), rpc_errors():
                return getattr(self.contract.functions, name)(*args).call(block_identifier=block)

        if block != "latest":
            return read()
        return self._at_page_head(("call", name, args), read)

    def _at_page_head(self, key: tuple[Any, ...], read: Callable[[], Any]) -> Any:
        """read(), shared by the pages that read the same head (every time outside a page)."""
        if not one_head.active() or not _hashable(key):
            return read()
        return self._page_memo.get(bytes(self.latest_block()["hash"]), key, read)

    def _send(self, call: Any, *, value: int = 0) -> dict[str, Any]:
        one_head.forget()  # what this page read before the transaction is stale after it
        try:
            return self._send_now(call, value=value)
        finally:
            one_head.forget()

    def _send_now(self, call: Any, *, value: int) -> dict[str, Any]:
        if self.account is None:
            raise ConfigError(
                "this client is read-only: set FEDLEND_PRIVATE_KEY, FEDLEND_KEYSTORE or "
                "FEDLEND_DEV_ACCOUNT to send transactions"
            )
        with self._revert.translated():
            if isinstance(self.account, LocalAccount):
                return send_call(self.w3, self.account, call, value=value)
            return self.account.send(self.w3, call, value=value)

    def _receipt_event(self, receipt: dict[str, Any], name: str) -> dict[str, Any]:
        found = self._receipt_events(receipt, name)
        if not found:
            tx = Web3.to_hex(receipt["transactionHash"])
            raise ChainError(f"transaction {tx} emitted no {name}")
        return found[0]

    def _receipt_events(self, receipt: dict[str, Any], name: str) -> list[dict[str, Any]]:
        event = getattr(self.contract.events, name)()
        return [
            dict(event.process_log(log)["args"])
            for log in receipt["logs"]
            if log["address"] == self.contract.address
            and Web3.to_hex(log["topics"][0]) == event.topic
        ]

    def _digests(self, model_id: int) -> dict[int, Digest]:
        """Update id -> digest of a model's updates (digests live in UpdateSubmitted events)."""
        events = self.index.model_events(model_id)
        return {e.update_id: e.digest for e in events if isinstance(e, UpdateSubmitted)}

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

    def _judged(
        self, update_id: int, verdict: dict[str, Any], block: int, sub: UpdateSubmitted | None
    ) -> UpdateRecord:
        """An update's record from its UpdateEvaluated receipt log and its indexed submission."""
        if sub is None:  # the index has not seen it: read it from the chain
            return self._update_at(update_id, Wei(verdict["reward"]), block=block)
        return UpdateRecord(
            update_id=update_id,
            model_id=sub.model_id,
            submitter=sub.submitter,
            digest=sub.digest,
            submitted_at=sub.submitted_at,
            status=UpdateStatus(verdict["status"]),
            score=BasisPoints(verdict["score"]),
            reward_wei=Wei(verdict["reward"]),
        )

    def _reward_of(self, update_id: int) -> Wei:
        events = self.events(names=["UpdateEvaluated"], update_id=update_id)
        return Wei(events[-1].reward_wei) if events else Wei(0)


def _has_account(settings: Settings) -> bool:
    return bool(settings.private_key or settings.keystore_path or settings.dev_account is not None)


def _hashable(key: tuple[Any, ...]) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True


def _digest(value: bytes) -> bytes:
    if not isinstance(value, bytes | bytearray) or len(value) != 32:
        raise ValueError("a digest is 32 raw bytes (sha2-256 of the blob)")
    return bytes(value)


def _terms(terms: ModelTerms) -> tuple[bytes, bytes, int, int, int, int]:
    """createModel's arguments (createVerifiedModel's first six)."""
    return (
        _digest(terms.weights),
        _digest(terms.spec),
        terms.initial_score,
        terms.target_score,
        terms.deadline,
        terms.review_period,
    )


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
