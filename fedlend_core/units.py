"""Units the contract and the models share: wei, basis points, and their scales (one home each)."""

from __future__ import annotations

from typing import NewType

Wei = NewType("Wei", int)
BasisPoints = NewType("BasisPoints", int)  # metric * 10_000, 0..10_000

WEI_PER_ETH = 10**18
MAX_SCORE = 10_000  # the contract's score scale: basis points of a metric in [0, 1]


def to_bps(metric: float) -> BasisPoints:
    """Convert a metric in [0, 1] to basis points, clamped to the contract's range."""
    return BasisPoints(max(0, min(MAX_SCORE, round(metric * MAX_SCORE))))
