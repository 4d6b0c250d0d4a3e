"""The lender's round policy: Shapley-valued FedAvg (pure: numpy/torch, no chain, web or services).

`ShapleyFedAvg.evaluate_round(current, updates)` values every update of a round by its Shapley
value in the coalition game v(S) = score(FedAvg(current, S)) - score(current) on the lender's
validation set (FedAvg weighted by min(examples, max_examples) x staleness_decay**staleness; a
stale delta is applied to the current weights, as `fl.merge.fedavg` does). Exact for up to
`exact_max` updates, truncated guided Monte-Carlo above (with standard errors). Updates with a
positive value form the aggregate and share the payout in proportion to their values (integer
basis points summing to exactly 10000, largest remainder, ties to the smaller key); the others
are left out and paid nothing. If that aggregate does not beat the model's best score the round
is rejected as a whole: `result.improves` is False and `result.payout_shares_bps` is all zeros
(what the contract's evaluateRound requires then). Same inputs give the same result, bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import torch

from fedlend_core.errors import UpdateRejectedError
from fl.coalitions import CoalitionScorer
from fl.evaluate import Metrics, score, score_bps
from fl.merge import MergeInput, fedavg
from fl.models import Weights, expected_shapes, subtract
from fl.shapley import Estimate, SamplingConfig, exact, monte_carlo
from fl.spec import ModelSpec

TOTAL_BPS = 10_000


@dataclass(frozen=True)
class RoundUpdate:
    """One valid update of a round, as the lender opened it."""

    key: int  # caller's id (on-chain update id, or owner index in simulate)
    weights: Mapping[str, torch.Tensor]  # the owner's new weights
    base: Mapping[str, torch.Tensor]  # the weights it was trained from
    n_examples: int
    staleness: int = 0  # model versions published since `base`


@dataclass(frozen=True)
class StrategyConfig:
    """How a round is valued and merged."""

    exact_max: int = 10  # exact Shapley up to this many updates (2^n coalitions, cached)
    min_permutations: int = 30  # Monte-Carlo: at least max(min_permutations, n) permutations
    max_permutations: int = 2000  # hard cap
    truncation: float = 1e-4  # GTG-style truncation tolerance (metric units)
    settle: float = 0.05  # stop when a window of permutations moves the values < 5 % (L1)
    seed: int = 0
    staleness_decay: float = 0.5
    max_examples: int | None = 100_000  # an owner's self-reported size counts at most this much
    server_lr: float = 1.0  # aggregate = current + server_lr * FedAvg delta

    def sampling(self) -> SamplingConfig:
        """The Monte-Carlo part of this config."""
        return SamplingConfig(
            self.min_permutations, self.max_permutations, self.truncation, self.settle, self.seed
        )


@dataclass(frozen=True)
class RoundResult:
    """One judged round: values, shares, the aggregate and its score."""

    keys: tuple[int, ...]  # in the order given
    values: tuple[float, ...]  # Shapley value per update, metric units (e.g. AUC)
    std_errors: tuple[float, ...]  # 0.0 for exact
    shares_bps: tuple[int, ...]  # of the payout; sum exactly 10000 over value > 0, else all 0
    included: tuple[bool, ...]  # value > 0 -> in the aggregate
    weights: Weights  # current + FedAvg of the included updates (== current if none)
    metrics: Metrics  # of `weights` on the validation set
    score_bps: int  # fl.evaluate.score_bps of metrics
    base_score_bps: int  # score of `current`
    method: str  # "exact" or "monte-carlo"
    permutations: int  # 0 for exact
    best_bps: int = -1  # the score to beat (the model's best; base_score_bps when not given)
    v_all: float = 0.0  # v(all updates): the Shapley values sum to this (efficiency)

    @property
    def improves(self) -> bool:
        """True when the aggregate beats the best score (else the caller rejects every update)."""
        return any(self.included) and self.score_bps > self.best_bps

    @property
    def payout_shares_bps(self) -> tuple[int, ...]:
        """What to send as evaluateRound's shares: shares_bps if the round improves, else 0s."""
        return self.shares_bps if self.improves else tuple(0 for _ in self.keys)


class ShapleyFedAvg:
    """The shape of a Flower Strategy's aggregate_evaluate, but pure: values a round, merges it."""

    def __init__(
        self,
        spec: ModelSpec,
        X_val: np.ndarray,
        y_val: np.ndarray,
        config: StrategyConfig = StrategyConfig(),
    ) -> None:
        self.spec, self.config = spec, config
        self.X = np.asarray(X_val, dtype=np.float64)
        self.y = np.asarray(y_val)
        CoalitionScorer(spec, self.X, self.y, _zeros(spec), [])  # checks the labels up front

    def evaluate_round(
        self,
        current: Mapping[str, torch.Tensor],
        updates: Sequence[RoundUpdate],
        *,
        best_bps: int | None = None,
    ) -> RoundResult:
        """Value, share and merge one round's valid updates (see the module docstring)."""
        _check(self.spec, current, updates)
        cfg = self.config
        deltas = [subtract(u.weights, u.base) for u in updates]
        scorer = CoalitionScorer(
            self.spec, self.X, self.y, current, deltas, server_lr=cfg.server_lr
        )
        weight = np.array([self._weight(u) for u in updates], dtype=np.float64)
        estimate = self._estimate(scorer, weight)
        included = tuple(bool(v > 0) for v in estimate.values)
        chosen = [_merge_input(u) for u, keep in zip(updates, included, strict=True) if keep]
        merged = self._aggregate(current, chosen)
        metrics = score(self.spec, merged, self.X, self.y)
        base_bps = score_bps(self.spec, score(self.spec, current, self.X, self.y))
        keys = tuple(u.key for u in updates)
        return RoundResult(
            keys=keys,
            values=tuple(float(v) for v in estimate.values),
            std_errors=tuple(float(s) for s in estimate.std_errors),
            shares_bps=shares_bps(keys, estimate.values),
            included=included,
            weights=merged,
            metrics=metrics,
            score_bps=score_bps(self.spec, metrics),
            base_score_bps=base_bps,
            method=estimate.method,
            permutations=estimate.permutations,
            best_bps=base_bps if best_bps is None else int(best_bps),
            v_all=estimate.v_all,
        )

    def _weight(self, update: RoundUpdate) -> float:
        cap = self.config.max_examples
        n = update.n_examples if cap is None else min(update.n_examples, cap)
        return max(0, n) * self.config.staleness_decay ** max(0, update.staleness)

    def _estimate(self, scorer: CoalitionScorer, weight: np.ndarray) -> Estimate:
        n = len(weight)
        if n == 0:
            return Estimate(np.zeros(0), np.zeros(0), 0.0, "exact", 0, 0)
        if n <= self.config.exact_max:
            return exact(scorer, weight)
        return monte_carlo(scorer, weight, self.config.sampling())

    def _aggregate(self, current: Mapping[str, torch.Tensor], chosen: list[MergeInput]) -> Weights:
        if not chosen or sum(self._weight_of(m) for m in chosen) <= 0:
            return {k: v.detach().clone().float() for k, v in current.items()}
        cfg = self.config
        return fedavg(
            current,
            chosen,
            staleness_decay=cfg.staleness_decay,
            max_examples=cfg.max_examples,
            server_lr=cfg.server_lr,
        )

    def _weight_of(self, m: MergeInput) -> float:
        return self._weight(RoundUpdate(0, m.weights, m.base, m.n_examples, m.staleness))


def shares_bps(keys: Sequence[int], values: Sequence[float] | np.ndarray) -> tuple[int, ...]:
    """Integer basis points in proportion to the positive values, summing to exactly 10000
    (largest remainder; equal remainders go to the smaller key); all 0 if none is positive."""
    exact_values = [Fraction(float(v)) if v > 0 else Fraction(0) for v in values]
    mass = sum(exact_values, Fraction(0))
    if mass <= 0:
        return tuple(0 for _ in keys)
    raw = [TOTAL_BPS * v / mass for v in exact_values]
    floors = [math.floor(r) for r in raw]
    left = TOTAL_BPS - sum(floors)
    ranked = sorted(
        (i for i, v in enumerate(exact_values) if v > 0),
        key=lambda i: (-(raw[i] - floors[i]), keys[i]),
    )
    for i in ranked[:left]:
        floors[i] += 1
    return tuple(floors)


def _merge_input(update: RoundUpdate) -> MergeInput:
    return MergeInput(update.weights, update.base, update.n_examples, update.staleness)


def _zeros(spec: ModelSpec) -> Weights:
    return {k: torch.zeros(s) for k, s in expected_shapes(spec).items()}


def _check(
    spec: ModelSpec, current: Mapping[str, torch.Tensor], updates: Sequence[RoundUpdate]
) -> None:
    """Shapes, finiteness, sizes and unique keys: UpdateRejectedError names the bad update."""
    shapes = expected_shapes(spec)
    _check_weights("the current model", current, shapes)
    seen: set[int] = set()
    for u in updates:
        who = f"update {u.key!r}"
        if not isinstance(u.key, int) or isinstance(u.key, bool) or u.key in seen:
            raise UpdateRejectedError(f"{who}: keys must be distinct integers; drop the duplicate")
        seen.add(u.key)
        for field, value in (("n_examples", u.n_examples), ("staleness", u.staleness)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise UpdateRejectedError(f"{who}: {field} must be a non-negative integer")
        _check_weights(f"{who} weights", u.weights, shapes)
        _check_weights(f"{who} base", u.base, shapes)


def _check_weights(who: str, weights: Mapping[str, torch.Tensor], shapes: dict) -> None:
    if not isinstance(weights, Mapping) or set(weights) != set(shapes):
        raise UpdateRejectedError(f"{who}: tensor names differ from the spec's {sorted(shapes)}")
    for name, shape in shapes.items():
        t = weights[name]
        if not isinstance(t, torch.Tensor) or tuple(t.shape) != shape:
            raise UpdateRejectedError(f"{who}: {name} must be a tensor of shape {shape}")
        if not torch.isfinite(t).all():
            raise UpdateRejectedError(f"{who}: {name} holds NaN or infinity; leave it out")
