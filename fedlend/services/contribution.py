"""One owner contribution's parts: how it runs, what training left, its sealed blob, its record."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from fedlend.chain.rpc import Sent
from fedlend.errors import SealingError
from fedlend.sealing import UpdateClaims, UpdateHeader, UpdateTarget, seal_update
from fedlend.sealing.typed import TypedDataSigner
from fedlend.services.catalog import Bounty
from fedlend.services.node import Node
from fedlend.services.owner_review import Confirm, LocalChange
from fedlend.services.record_rows import SubmissionRow
from fedlend.types import Digest
from fedlend_core.progress import Progress
from fl.train import TrainResult, update_to_bytes


@dataclass(frozen=True)
class ContributeJob:
    """How one contribution runs (TrainHooks and more): what it reports, when it stops, how its
    privacy charge is keyed, and who is asked before a worse local result is submitted."""

    progress: Progress | None = None
    cancel: Callable[[], bool] | None = None
    charge_key: str | None = None  # a job id: the charge is booked once however often it retries
    confirm: Confirm | None = None  # None: nobody can be asked, so a worse result is not sent


@dataclass(frozen=True)
class Trained:
    """A finished local run: the bounty it was for, its lender's key, the result, the change."""

    bounty: Bounty
    lender_key: bytes  # the lender's X25519 public key (parsed before any ε was spent)
    result: TrainResult
    change: LocalChange


@dataclass(frozen=True)
class Contribution:
    """An update just trained, sealed, stored and submitted."""

    update_id: int
    model_id: int
    digest: Digest
    epsilon: float
    delta: float
    n_examples: int
    local_before: float
    local_after: float
    seconds: float
    sent: Sent[int]


def seal(node: Node, done: Trained) -> bytes:
    """The trained update signed by the node's account and encrypted to the bounty's lender."""
    header = UpdateHeader.create(
        UpdateTarget(
            done.change.model_id,
            done.bounty.record.weights,
            node.chain_id,
            node.client.address,
            node.address,
        ),
        UpdateClaims(done.change.epsilon, done.change.delta, done.result.n_examples),
    )
    return seal_update(
        payload=update_to_bytes(done.bounty.require_spec(), done.result),
        header=header,
        owner=update_signer(node.account),
        lender_public_key=done.lender_key,
        max_blob_bytes=node.settings.max_blob_bytes,
    )


def update_signer(account: object) -> LocalAccount | TypedDataSigner:
    """The account that signs an update: a key, or a wallet that signs EIP-712 typed data."""
    if isinstance(account, LocalAccount | TypedDataSigner):
        return account
    raise SealingError(
        "this account cannot sign a model update (it neither holds a key nor signs EIP-712 "
        "typed data): sign in with a wallet that supports eth_signTypedData_v4",
        reason="no-signer",
    )


def submission_row(sha256: str, digest: Digest, done: Trained, sent: Sent[int]) -> SubmissionRow:
    """The owner's record of a submission (what it cost, what it did locally)."""
    return SubmissionRow(
        update_id=sent.value,
        model_id=done.change.model_id,
        dataset=sha256,
        digest=digest.hex(),
        epsilon=done.change.epsilon,
        delta=done.change.delta,
        n_examples=done.result.n_examples,
        local_before=done.change.before,
        local_after=done.change.after,
        tx_hash=sent.tx_hash,
        gas_used=sent.gas_used,
        at=time.time(),
    )


def contribution(done: Trained, digest: Digest, sent: Sent[int], seconds: float) -> Contribution:
    """What `contribute` returns once the update is on-chain."""
    change = done.change
    return Contribution(
        sent.value,
        change.model_id,
        digest,
        change.epsilon,
        change.delta,
        done.result.n_examples,
        change.before,
        change.after,
        seconds,
        sent,
    )
