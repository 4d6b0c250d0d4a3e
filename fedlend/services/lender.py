"""The lender's work: post a bounty, follow its models, reclaim what is left, withdraw."""

from __future__ import annotations

import hashlib
from collections.abc import Container
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fedlend.chain.rpc import Sent
from fedlend.errors import (
    AlreadyPostedError,
    DataError,
    FedlendError,
    NotFoundError,
    SpecError,
    TransactionFailedError,
)
from fedlend.sealing import (
    EncryptionKeypair,
    OpenedUpdate,
    Submission,
    lender_encryption_keypair,
    open_update,
    public_key_text,
)
from fedlend.services import catalog
from fedlend.services.bounty_terms import BASE_KINDS, BountyTerms
from fedlend.services.catalog import Bounty, load_bounty
from fedlend.services.lender_data import (
    BASE_META,
    SpecPreview,
    base_meta_of,
    base_weights,
    keep_dataset,
    labelled,
    read_validation,
    split_own_data,
)
from fedlend.services.node import Node, state_dir
from fedlend.services.records import LENDER, Records
from fedlend.services.verified import verified_metadata
from fedlend.types import (
    MAX_SCORE,
    BasisPoints,
    Digest,
    ModelStatus,
    UpdateRecord,
    UpdateStatus,
    Wei,
)
from fedlend_core.progress import Progress, quiet
from fl.data import load_loans
from fl.evaluate import Metrics, score, score_bps
from fl.features import EncodedData, SpecOptions, build_spec, encode
from fl.spec import ModelSpec
from zk.fixed import FixedPoint

if TYPE_CHECKING:
    from fedlend.services.verified_post import VerifiedPosting

__all__ = [
    "BASE_META",
    "LenderService",
    "PostedModel",
    "SpecPreview",
    "check_target",
    "split_own_data",
]

POST_ID = "post_id"  # spec metadata: the client-side id of one posting (found again after a crash)


@dataclass(frozen=True)
class PostedModel:
    """A bounty just escrowed on-chain."""

    model_id: int
    initial_score: BasisPoints
    initial_metrics: Metrics
    spec_digest: Digest
    weights_digest: Digest
    sent: Sent[int]
    verified: VerifiedPosting | None = None  # for a verified model: its verifier and proof


class LenderService:
    """What a lender can do, signing with its node's account; state stays on this machine."""

    def __init__(self, node: Node, *, state: Path | None = None) -> None:
        self.node = node
        self.state = state or state_dir(node.settings, "lender", node.address)
        self.records = Records(self.state / "lender.sqlite", LENDER)
        self._validation_cache: dict[bytes, EncodedData] = {}

    @property
    def keypair(self) -> EncryptionKeypair:
        """The X25519 keypair owners encrypt updates to: derived from the account key, or in
        wallet mode from the wallet's signature of a fixed message (fedlend/wallet/keys.py)."""
        account = self.node.account
        from_wallet = getattr(account, "encryption_keypair", None)
        if callable(from_wallet):
            return from_wallet()
        return lender_encryption_keypair(account)  # type: ignore[arg-type]

    def open_sealed(self, update: UpdateRecord, seen: Container[str] = ()) -> OpenedUpdate:
        """Fetch `update`'s blob, decrypt it and check it against the chain's facts about it
        (submitter, model, chain, contract) and the nonces already `seen`; SealingError if not."""
        node = self.node
        return open_update(
            node.get(update.digest),
            lender_private_key=self.keypair.private,
            expected=Submission(
                update.submitter, update.model_id, node.chain_id, node.client.address
            ),
            max_blob_bytes=node.settings.max_blob_bytes,
            seen_nonces=seen,
        )

    # --- posting -----------------------------------------------------------------------------
    def preview(
        self,
        data: bytes,
        *,
        model_kind: str = "logreg",
        metric: str = "roc_auc",
        base: str | None = None,
        base_fraction: float = 0.5,
    ) -> SpecPreview:
        """Deduce the feature spec from the lender's CSV without posting anything; with `base`,
        also the base model's score on the validation part (the same split posting uses)."""
        frame = load_loans(data)
        spec = build_spec(frame, SpecOptions(model=model_kind, metric=metric))
        y = pd.to_numeric(frame["default"]).to_numpy()
        sha = hashlib.sha256(data).hexdigest()
        base_score = None
        if base in BASE_KINDS:
            base_meta = base_meta_of(base, base_fraction)
            train_part, val = split_own_data(frame, sha, base_meta)
            weights = base_weights(spec, train_part, quiet)
            base_score = score_bps(spec, score(spec, weights, *labelled(encode(spec, val))))
        return SpecPreview(spec, len(frame), float(np.mean(y)), sha, base_score)

    def post_bounty(
        self, data: bytes, terms: BountyTerms, *, progress: Progress = quiet, post_id: str = ""
    ) -> PostedModel:
        """Build the spec and base model from the lender's CSV, score it, escrow the bounty.

        With a `post_id` (a client-side id kept with the form) posting is idempotent: a model this
        account already posted with that id raises AlreadyPostedError instead of a second escrow.
        The lender promises to judge every update within `review_period` seconds after the
        deadline; updates still pending then are claimed by their owners.
        """
        problems = terms.problems(
            balance_wei=self.node.balance(), chain_time=self.node.client.chain_time()
        )
        if problems:
            raise DataError("cannot post this bounty: " + "; ".join(problems))
        self._check_not_posted(post_id)
        progress(0.02, "reading the validation data")
        frame = load_loans(data)
        sha = keep_dataset(self.state, data)
        base_meta = base_meta_of(terms.base, terms.base_fraction)
        options = SpecOptions(
            model=terms.model_kind,
            metric=terms.metric,
            training=terms.training,
            features=terms.features,
        )
        proofs = verified_metadata(FixedPoint()) if terms.verified else {}
        spec = build_spec(frame, options).with_metadata(
            **{
                catalog.TITLE: terms.title.strip(),
                catalog.ENCRYPTION_KEY: public_key_text(self.keypair.public),
                catalog.VALIDATION_SHA256: sha,
                BASE_META: base_meta,
                **({POST_ID: post_id} if post_id else {}),
                **proofs,
            }
        )
        train_part, _ = split_own_data(frame, sha, base_meta)
        weights = base_weights(spec, train_part, progress)
        progress(0.8, "scoring the base model on the validation set")
        metrics = score(spec, weights, *labelled(self.validation(spec)))
        initial = score_bps(spec, metrics)
        check_target(initial, terms.target_score)
        if terms.verified:  # imported here: verified_post builds on this module's PostedModel
            from fedlend.services.verified_post import post_verified

            recheck = partial(self._check_not_posted, post_id)
            return post_verified(self, spec, weights, terms, progress=progress, recheck=recheck)
        progress(0.9, "storing the spec and weights, sending createModel")
        self._check_not_posted(post_id)
        spec_digest = self.node.put(spec.to_json())
        weights_digest = self.node.put_weights(spec, weights)
        sent = self.node.client.create_model(
            terms.model_terms(weights=weights_digest, spec=spec_digest, initial_score=initial)
        )
        progress(1.0, f"model #{sent.value} posted")
        return PostedModel(sent.value, initial, metrics, spec_digest, weights_digest, sent)

    def find_posted(self, post_id: str) -> Bounty | None:
        """This account's model posted with that client-side id, if one was mined."""
        if not post_id:
            return None
        for bounty in self.models():
            if bounty.spec is not None and bounty.spec.metadata.get(POST_ID) == post_id:
                return bounty
        return None

    def _check_not_posted(self, post_id: str) -> None:
        if not post_id:
            return
        found = self.find_posted(post_id)
        if found is not None:
            raise AlreadyPostedError(found.model_id)
        if self.node.client.has_pending_transactions():
            raise TransactionFailedError(
                "a transaction from this account is still waiting to be mined (perhaps the "
                "createModel of this very bounty): wait for it, then reload before retrying"
            )

    # --- validation data -----------------------------------------------------------------------
    def validation(self, spec: ModelSpec) -> EncodedData:
        """The lender's private validation set for a spec (kept on this machine only)."""
        if spec.digest not in self._validation_cache:
            self._validation_cache[spec.digest] = encode(spec, read_validation(self.state, spec))
        return self._validation_cache[spec.digest]

    # --- following models ----------------------------------------------------------------------
    def models(self) -> list[Bounty]:
        """This lender's models, newest first."""
        return catalog.list_bounties(self.node, lender=self.node.address)

    def bounty(self, model_id: int) -> Bounty:
        """One model with its spec; NotFoundError if it does not exist."""
        if not 0 < model_id <= self.node.client.model_count():
            raise NotFoundError(f"there is no model #{model_id} on this contract")
        return load_bounty(self.node, self.node.client.get_model(model_id))

    def own_bounty(self, model_id: int) -> Bounty:
        """One of this lender's models; FedlendError if it belongs to someone else."""
        bounty = self.bounty(model_id)
        if bounty.record.lender.lower() != self.node.address.lower():
            raise FedlendError(
                f"model #{model_id} belongs to {bounty.record.lender}, not to this account"
            )
        return bounty

    def awaits_evaluation(self, model_id: int) -> bool:
        """True if the model is open and holds updates nobody has judged yet."""
        client = self.node.client
        if client.get_model(model_id).status != ModelStatus.OPEN:
            return False
        return any(u.status == UpdateStatus.PENDING for u in client.updates_of_model(model_id))

    def reclaim(self, model_id: int) -> Sent[Wei]:
        """Credit back what is left of a model's bounty (after its deadline or completion)."""
        self.own_bounty(model_id)
        return self.node.client.reclaim(model_id)

    def withdraw(self) -> Sent[Wei]:
        """Pay this account everything the contract owes it."""
        return self.node.client.withdraw()


def check_target(initial: int, target: int) -> None:
    """SpecError unless the base model's score leaves room to improve up to the target."""
    if initial >= target:
        raise SpecError(
            f"the base model already scores {initial / MAX_SCORE:.4f} on your validation "
            f"set; set a target above it (at most {MAX_SCORE / MAX_SCORE:.4f})"
        )
