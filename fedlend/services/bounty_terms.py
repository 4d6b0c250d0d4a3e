"""A bounty's terms, in the units the contract takes, and the one check of them before posting."""

from __future__ import annotations

from dataclasses import dataclass

from fedlend.chain.terms import ModelTerms
from fedlend.types import (
    DEFAULT_REVIEW_PERIOD,
    MAX_REVIEW_PERIOD,
    MAX_SCORE,
    MIN_REVIEW_PERIOD,
    Digest,
)
from fl.spec import TrainingDefaults

BASE_KINDS = ("own-data", "zero")
MAX_TITLE = 120
MIN_BASE_FRACTION, MAX_BASE_FRACTION = 0.1, 0.9


@dataclass(frozen=True)
class BountyTerms:
    """What a lender posts: title, target (basis points), escrow (wei), deadline (unix seconds),
    the model and metric, how the base model is made, and the review window after the deadline."""

    title: str
    target_score: int
    bounty_wei: int
    deadline: int
    model_kind: str = "logreg"
    metric: str = "roc_auc"
    base: str = "own-data"  # or "zero"
    base_fraction: float = 0.5  # of the lender's own data, to train the base model
    review_period: int = DEFAULT_REVIEW_PERIOD
    training: TrainingDefaults | None = None
    verified: bool = False  # every round's score proven (zero-knowledge), logistic regression only
    features: tuple[str, ...] | None = None  # None: every usable column of the lender's CSV

    def problems(self, *, balance_wei: int, chain_time: int) -> list[str]:
        """Why these terms cannot be posted by an account with `balance_wei` now (empty: fine)."""
        found = []
        if not self.title.strip() or len(self.title) > MAX_TITLE:
            found.append(f"give a title of 1-{MAX_TITLE} characters")
        if not 0 < self.target_score <= MAX_SCORE:
            found.append(
                f"the target score must be in (0, 1] (got {self.target_score / MAX_SCORE:g})"
            )
        if self.bounty_wei <= 0:
            found.append("the bounty must be more than 0 ETH")
        elif self.bounty_wei > balance_wei:
            found.append("the bounty is more than this account's balance")
        if self.deadline <= chain_time:
            found.append("the deadline must be in the future")
        if self.base not in BASE_KINDS:
            found.append(f"base must be one of {BASE_KINDS}")
        if self.base == "own-data" and not (
            MIN_BASE_FRACTION <= self.base_fraction <= MAX_BASE_FRACTION
        ):
            found.append("the share of your data used to train the base model must be 0.1-0.9")
        if not MIN_REVIEW_PERIOD <= self.review_period <= MAX_REVIEW_PERIOD:
            found.append(
                "the review period must be 1 hour to 30 days "
                f"(got {self.review_period / 3600:g} hours)"
            )
        if self.verified and self.model_kind != "logreg":
            found.append(
                "only a logistic regression can be verified (proofs of an MLP's score are not "
                "supported): choose logistic regression or untick verified"
            )
        return found

    def model_terms(self, *, weights: Digest, spec: Digest, initial_score: int) -> ModelTerms:
        """These terms as createModel takes them, for the stored base weights and spec."""
        return ModelTerms(
            weights=weights,
            spec=spec,
            initial_score=initial_score,
            target_score=self.target_score,
            deadline=self.deadline,
            bounty_wei=self.bounty_wei,
            review_period=self.review_period,
        )
