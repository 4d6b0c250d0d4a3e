"""Privacy composition as a running state: adding one charge is O(1), never a re-composition.

The total spent by some charges is
  * basic composition: (sum of epsilons, sum of deltas), always valid; or, when every charge
    recorded its Poisson-subsampled Gaussian mechanism and it is tighter,
  * RDP composition of all those mechanisms (their RDP curves add up), converted to
    (epsilon, delta) at the largest single delta (below the sum, so this pair is reported only if
    its epsilon is also smaller).
`Composed` keeps exactly what both need: counts, sums, the largest delta and the summed RDP curve.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

from fl.dp import ALPHAS, Mechanism, epsilon_from_rdp, rdp_curve

MAX_STATE_CHARS = 100_000
FIELDS = {"charges", "basic_epsilon", "delta_sum", "largest_delta", "rdp"}


@dataclass(frozen=True)
class Charge:
    """One recorded spend."""

    epsilon: float
    delta: float
    mechanism: Mechanism | None
    note: str
    at: float


@dataclass(frozen=True)
class Spent:
    """Composed privacy loss of some charges."""

    epsilon: float
    delta: float
    charges: int
    method: str  # "none" | "basic" | "rdp"


@dataclass(frozen=True)
class Composed:
    """The running composition of a dataset's charges (what the ledger stores per dataset)."""

    charges: int = 0
    basic_epsilon: float = 0.0
    delta_sum: float = 0.0
    largest_delta: float = 0.0
    rdp: tuple[float, ...] | None = ()  # () before any charge; None once one had no mechanism

    def add(self, charge: Charge) -> Composed:
        """This state with one more charge."""
        rdp: tuple[float, ...] | None = None
        if self.rdp is not None and charge.mechanism is not None:
            curve = rdp_curve(charge.mechanism)
            rdp = tuple(float(v) for v in (curve + np.asarray(self.rdp) if self.rdp else curve))
        return Composed(
            charges=self.charges + 1,
            basic_epsilon=self.basic_epsilon + float(charge.epsilon),
            delta_sum=self.delta_sum + float(charge.delta),
            largest_delta=max(self.largest_delta, float(charge.delta)),
            rdp=rdp,
        )

    def spent(self) -> Spent:
        """The (epsilon, delta) these charges spend, by the tighter valid method."""
        if not self.charges:
            return Spent(0.0, 0.0, 0, "none")
        if self.rdp and 0 < self.largest_delta < 1:
            rdp = epsilon_from_rdp(np.asarray(self.rdp), self.largest_delta)
            if rdp <= self.basic_epsilon:
                return Spent(rdp, self.largest_delta, self.charges, "rdp")
        return Spent(self.basic_epsilon, self.delta_sum, self.charges, "basic")

    def to_json(self) -> str:
        """The state as the ledger stores it."""
        return json.dumps(
            {
                "charges": self.charges,
                "basic_epsilon": self.basic_epsilon,
                "delta_sum": self.delta_sum,
                "largest_delta": self.largest_delta,
                "rdp": None if self.rdp is None else list(self.rdp),
            }
        )

    @classmethod
    def from_json(cls, text: object) -> Composed:
        """A stored state, bounded and type-checked first; ValueError saying what is wrong."""
        if not isinstance(text, str) or len(text) > MAX_STATE_CHARS:
            raise ValueError("the stored total is not a short JSON text")
        try:
            raw = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise ValueError("the stored total is not JSON") from exc
        if not isinstance(raw, dict) or set(raw) != FIELDS:
            raise ValueError("the stored total has the wrong fields")
        count, rdp = raw["charges"], raw["rdp"]
        totals = [raw[k] for k in ("basic_epsilon", "delta_sum", "largest_delta")]
        if type(count) is not int or count < 0:
            raise ValueError("the stored charge count is not a count")
        if not all(_non_negative(v) and math.isfinite(v) for v in totals):
            raise ValueError("the stored totals are not finite non-negative numbers")
        if rdp is not None and not (isinstance(rdp, list) and all(map(_non_negative, rdp))):
            raise ValueError("the stored RDP curve is not a list of non-negative numbers")
        if rdp is not None and len(rdp) != (len(ALPHAS) if count else 0):
            raise ValueError("the stored RDP curve does not fit the charge count")
        curve = None if rdp is None else tuple(float(v) for v in rdp)
        basic_epsilon, delta_sum, largest_delta = (float(v) for v in totals)
        return cls(count, basic_epsilon, delta_sum, largest_delta, rdp=curve)


def _non_negative(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def compose(charges: list[Charge]) -> Spent:
    """Total (epsilon, delta) of these charges (see the module docstring)."""
    state = Composed()
    for charge in charges:
        state = state.add(charge)
    return state.spent()
