"""The lender's policy: PD cutoffs -> approve / refer / decline, a risk price, the trade-offs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fedlend_core.errors import DataError

APPROVE, REFER, DECLINE = "approve", "refer", "decline"
DECISIONS = (APPROVE, REFER, DECLINE)
CUTOFFS = tuple(round(0.02 * i, 2) for i in range(1, 26))


@dataclass(frozen=True)
class Policy:
    """Approve below `approve_below`, decline from `decline_from`, refer in between."""

    approve_below: float = 0.15
    decline_from: float = 0.30

    def __post_init__(self) -> None:
        if not 0 < self.approve_below <= self.decline_from <= 1:
            raise DataError(
                "cutoffs must satisfy 0 < approve below <= decline from <= 1 "
                f"(got {self.approve_below:g} and {self.decline_from:g})"
            )

    def decide(self, pd_: float, *, flagged: bool = False) -> str:
        """The decision for one PD; a flagged application is at best referred."""
        if pd_ >= self.decline_from:
            return DECLINE
        if pd_ >= self.approve_below or flagged:
            return REFER
        return APPROVE

    def decide_all(self, pds: np.ndarray, flagged: np.ndarray | None = None) -> list[str]:
        """Decisions for many PDs."""
        marks = np.zeros(len(pds), bool) if flagged is None else flagged
        return [self.decide(float(p), flagged=bool(f)) for p, f in zip(pds, marks, strict=True)]


@dataclass(frozen=True)
class Pricing:
    """APR = cost of funds + PD x LGD + margin (annual fractions)."""

    cost_of_funds: float = 0.04
    lgd: float = 0.60
    margin: float = 0.03

    def __post_init__(self) -> None:
        values = (self.cost_of_funds, self.lgd, self.margin)
        if not all(0 <= v <= 1 for v in values):
            raise DataError("cost of funds, LGD and margin must each be between 0 and 1")

    def apr(self, pd_: np.ndarray | float) -> np.ndarray | float:
        """The risk-based annual rate for a PD."""
        return self.cost_of_funds + np.asarray(pd_) * self.lgd + self.margin

    @property
    def formula(self) -> str:
        """The formula in words, with this lender's figures."""
        return (
            f"APR = cost of funds {self.cost_of_funds:.2%} + PD x LGD {self.lgd:.0%} "
            f"+ margin {self.margin:.2%}"
        )


@dataclass(frozen=True)
class TradeoffRow:
    """Approving every validation loan with PD below `cutoff`."""

    cutoff: float
    approval_rate: float
    default_rate: float  # actual defaults among the approved
    expected_default_rate: float  # mean PD among the approved
    expected_loss: float  # mean PD x LGD among the approved, per unit lent


def tradeoffs(
    pds: np.ndarray, y: np.ndarray, *, lgd: float, cutoffs: tuple[float, ...] = CUTOFFS
) -> list[TradeoffRow]:
    """The trade-off table over cutoffs on labelled (validation) loans."""
    pds, y = np.asarray(pds, float), np.asarray(y, float)
    if len(pds) == 0 or len(pds) != len(y):
        raise DataError("the trade-off table needs labelled loans with one PD each")
    rows = []
    for cutoff in cutoffs:
        approved = pds < cutoff
        n = int(approved.sum())
        mean_pd = float(pds[approved].mean()) if n else 0.0
        rows.append(
            TradeoffRow(
                cutoff=cutoff,
                approval_rate=n / len(pds),
                default_rate=float(y[approved].mean()) if n else 0.0,
                expected_default_rate=mean_pd,
                expected_loss=mean_pd * lgd,
            )
        )
    return rows
