"""What a lender sends to post a model (ModelTerms) and what a zero-knowledge proof claims."""

from __future__ import annotations

from dataclasses import dataclass

from fedlend.types import DEFAULT_REVIEW_PERIOD, Digest


@dataclass(frozen=True)
class ModelTerms:
    """A bounty as createModel takes it: escrow `bounty_wei` for improving `weights` (scored
    `initial_score` bps) to `target_score` by `deadline`, every update judged within
    `review_period` seconds after it."""

    weights: Digest
    spec: Digest
    initial_score: int
    target_score: int
    deadline: int
    bounty_wei: int
    review_period: int = DEFAULT_REVIEW_PERIOD


@dataclass(frozen=True)
class ProofClaim:
    """A proof for the model's verifier and its public instances (the claimed outputs)."""

    proof: bytes
    instances: tuple[int, ...]
