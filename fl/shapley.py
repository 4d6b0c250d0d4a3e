"""Shapley values of one round's updates: exact over all 2^n coalitions, or truncated Monte-Carlo.

v(S) = metric(current + FedAvg of S) - metric(current), scored by a `CoalitionScorer`; every
update's FedAvg weight is given (examples x staleness decay). Exact: all coalitions in one matrix
product, each scored once. Monte-Carlo, in the manner of GTG-Shapley: permutation k starts with
update k mod n (guided: every update is first equally often), the rest in a seeded random order;
walking a permutation builds each prefix's aggregate by a running sum, and once a prefix scores
within `truncation` of v(all) the remaining marginals count as zero. Standard errors are those
of the mean marginal over permutations.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from fl.coalitions import CoalitionScorer

FIRST_CHUNK, MAX_CHUNK = 8, 256  # prefixes scored per batch along a permutation (doubling)


@dataclass(frozen=True)
class Estimate:
    """Shapley values (metric units) with their standard errors."""

    values: np.ndarray
    std_errors: np.ndarray
    v_all: float
    method: str  # "exact" or "monte-carlo"
    permutations: int  # 0 for exact
    prefixes_scored: int  # coalitions actually scored


@dataclass(frozen=True)
class SamplingConfig:
    """How long Monte-Carlo sampling runs."""

    min_permutations: int = 30
    max_permutations: int = 2000
    truncation: float = 1e-4
    settle: float = 0.05
    seed: int = 0
    workers: int = min(4, os.cpu_count() or 1)  # threads walking permutations (any count gives
    # the same result)


def _normalise(w: np.ndarray) -> np.ndarray:
    """Rows of member weights -> FedAvg coefficients (an all-zero row stays zero: no change)."""
    total = w.sum(axis=1, keepdims=True)
    return np.divide(w, total, out=np.zeros_like(w), where=total > 0)


def exact(scorer: CoalitionScorer, weight: np.ndarray) -> Estimate:
    """Exact Shapley values over all 2^n coalitions (n small)."""
    n = len(weight)
    masks = np.arange(1 << n)
    bits = ((masks[:, None] >> np.arange(n)) & 1).astype(bool)
    v = scorer.values(_normalise(bits * weight) @ scorer.rows) - scorer.base_value()
    v[0] = 0.0
    size = bits.sum(axis=1)
    fact = [math.factorial(k) for k in range(n + 1)]
    coef = np.array([fact[s] * fact[n - s - 1] / fact[n] for s in range(n)] + [0.0])
    values = np.empty(n)
    for i in range(n):
        without = masks[~bits[:, i]]
        values[i] = np.sum(coef[size[without]] * (v[without | (1 << i)] - v[without]))
    return Estimate(values, np.zeros(n), float(v[-1]), "exact", 0, len(masks))


def monte_carlo(scorer: CoalitionScorer, weight: np.ndarray, config: SamplingConfig) -> Estimate:
    """Truncated, guided Monte-Carlo permutation estimate with standard errors.

    A window's permutations are drawn in order from one seeded generator and walked by
    `config.workers` threads (numpy releases the GIL in the sorts and sums); their marginals are
    added in permutation order, so the estimate is the same bit for bit for any worker count."""
    n = len(weight)
    base = scorer.base_value()
    v_all = float(scorer.values(_normalise(weight[None, :]) @ scorer.rows)[0] - base)
    walk = _Walk(scorer, weight, weight[:, None] * scorer.rows, base, v_all, config.truncation)
    floor = min(max(config.min_permutations, n), config.max_permutations)
    rng = np.random.default_rng(config.seed)
    sums, squares = np.zeros(n), np.zeros(n)
    window = max(10, floor // 5)
    done = scored = 0
    snapshot: np.ndarray | None = None
    with ThreadPoolExecutor(max(1, config.workers)) as pool:
        while done < config.max_permutations:
            if done and done % window == 0:
                if done >= floor and _settled(snapshot, sums / done, config.settle):
                    break
                snapshot = sums / done
            batch = min(window - done % window, config.max_permutations - done)
            orders = [_order(rng, n, (done + k) % n) for k in range(batch)]
            for marginal, count in pool.map(walk.run, orders):
                sums += marginal
                squares += marginal * marginal
                scored += count
            done += batch
    mean = sums / done
    return Estimate(mean, _std_errors(sums, squares, done), v_all, "monte-carlo", done, scored)


def _order(rng: np.random.Generator, n: int, first: int) -> np.ndarray:
    """A guided permutation: `first`, then the others in a seeded random order."""
    rest = rng.permutation(n)
    return np.concatenate(([first], rest[rest != first]))


@dataclass(frozen=True)
class _Walk:
    """What every permutation's walk shares: the scorer, the weights and v(all)."""

    scorer: CoalitionScorer
    weight: np.ndarray  # each update's FedAvg weight
    scaled: np.ndarray  # each update's row times its weight
    base: float  # metric of the current weights
    v_all: float
    truncation: float

    def run(self, order: np.ndarray) -> tuple[np.ndarray, int]:
        """Marginal contributions along one permutation (zero after truncation), coalitions
        scored."""
        marginal = np.zeros(len(order))
        run = np.zeros(self.scorer.width)
        run_weight, prev, pos, chunk = 0.0, 0.0, 0, FIRST_CHUNK
        v_all, truncation = self.v_all, self.truncation
        while pos < len(order) and abs(v_all - prev) >= truncation:
            idx = order[pos : pos + chunk]
            sums = np.cumsum(self.scaled[idx], axis=0)
            sums += run
            totals = run_weight + np.cumsum(self.weight[idx])
            combos = sums / np.where(totals > 0, totals, 1.0)[:, None]  # no member weight: 0 / 1
            vals = self.scorer.values(combos) - self.base
            steps = np.diff(np.concatenate(([prev], vals)))
            hit = np.flatnonzero(np.abs(v_all - vals) < truncation)
            stop = int(hit[0]) + 1 if hit.size else len(idx)
            marginal[idx[:stop]] = steps[:stop]
            run, run_weight, prev = sums[-1], float(totals[-1]), float(vals[stop - 1])
            pos += stop if hit.size else len(idx)
            if hit.size:
                return marginal, pos
            chunk = min(2 * chunk, MAX_CHUNK)
        return marginal, pos


def _std_errors(sums: np.ndarray, squares: np.ndarray, m: int) -> np.ndarray:
    if m < 2:
        return np.full(len(sums), np.inf)
    var = np.maximum(squares - sums * sums / m, 0.0) / (m - 1)
    return np.sqrt(var / m)


def _settled(before: np.ndarray | None, now: np.ndarray, settle: float) -> bool:
    """Settled when the last window of permutations moved the estimates by at most `settle`
    of their size: sum |now - before| <= settle x sum |now| (relative L1 change)."""
    if before is None:
        return False
    mass = float(np.abs(now).sum())
    return mass == 0 or float(np.abs(now - before).sum()) <= settle * mass
