"""Who helped how much: the contract's reward rule (mirrored), leave-one-out and Shapley values.

The contract pays each accepted update bounty * (score - best) / (target - initial), so the
first update to lift the score is paid for the lift later ones would also have given: the order
decides. Leave-one-out and Shapley values of one round's FedAvg merge are order-free and are
shown beside the on-chain rewards (they move no money).
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction

import numpy as np
import torch

from fedlend_core.units import Wei
from fl.evaluate import metric_value
from fl.merge import MergeInput, fedavg
from fl.spec import ModelSpec

EXACT_SHAPLEY_MAX = 10


def contract_reward(
    *, bounty_wei: int, remaining_wei: int, score: int, best: int, initial: int, target: int
) -> Wei:
    """What ModelRepository.evaluateUpdate credits (scores in bps; Solidity integer division)."""
    if score <= best or target <= initial:
        return Wei(0)
    reward = bounty_wei * (score - best) // (target - initial)
    return Wei(min(reward, remaining_wei))


def _value_fn(
    spec: ModelSpec,
    current: Mapping[str, torch.Tensor],
    updates: Mapping[str, MergeInput],
    X: np.ndarray,
    y: np.ndarray,
    metric: str | None,
) -> Callable[[frozenset[str]], float]:
    """v(S) = metric(current + FedAvg of S's deltas) - metric(current); memoised."""
    name = metric or spec.metric
    cache: dict[frozenset[str], float] = {}
    base = metric_value(spec, current, X, y, name)

    def value(subset: frozenset[str]) -> float:
        if subset not in cache:
            if not subset:
                cache[subset] = 0.0
            else:
                merged = fedavg(current, [updates[k] for k in sorted(subset)])
                cache[subset] = metric_value(spec, merged, X, y, name) - base
        return cache[subset]

    return value


def leave_one_out(
    spec: ModelSpec,
    current: Mapping[str, torch.Tensor],
    updates: Mapping[str, MergeInput],
    X: np.ndarray,
    y: np.ndarray,
    *,
    metric: str | None = None,
) -> dict[str, float]:
    """v(all) - v(all without owner), per owner, in metric units (e.g. AUC)."""
    value = _value_fn(spec, current, updates, X, y, metric)
    everyone = frozenset(updates)
    return {k: value(everyone) - value(everyone - {k}) for k in sorted(updates)}


def shapley(
    spec: ModelSpec,
    current: Mapping[str, torch.Tensor],
    updates: Mapping[str, MergeInput],
    X: np.ndarray,
    y: np.ndarray,
    *,
    metric: str | None = None,
    permutations: int = 200,
    seed: int = 0,
) -> dict[str, float]:
    """Shapley value of each owner in one round's merge: exact up to 10 owners, else sampled."""
    value = _value_fn(spec, current, updates, X, y, metric)
    owners = sorted(updates)
    if len(owners) <= EXACT_SHAPLEY_MAX:
        return _exact(owners, value)
    return _sampled(owners, value, permutations, seed)


def _exact(owners: Sequence[str], value: Callable[[frozenset[str]], float]) -> dict[str, float]:
    n = len(owners)
    result = dict.fromkeys(owners, 0.0)
    for size in range(n):
        weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
        for subset in itertools.combinations(owners, size):
            s = frozenset(subset)
            for k in owners:
                if k not in s:
                    result[k] += weight * (value(s | {k}) - value(s))
    return result


def _sampled(
    owners: Sequence[str], value: Callable[[frozenset[str]], float], permutations: int, seed: int
) -> dict[str, float]:
    rng = random.Random(seed)
    result = dict.fromkeys(owners, 0.0)
    order = list(owners)
    for _ in range(permutations):
        rng.shuffle(order)
        before: frozenset[str] = frozenset()
        for k in order:
            after = before | {k}
            result[k] += (value(after) - value(before)) / permutations
            before = after
    return result


def reward_shares(values: Mapping[str, float], total_wei: int) -> dict[str, Wei]:
    """Split total_wei in proportion to the positive values (exact: shares sum to total_wei)."""
    positive = {k: Fraction(v) for k, v in values.items() if v > 0}
    mass = sum(positive.values(), Fraction(0))
    if mass <= 0 or total_wei <= 0:
        return {k: Wei(0) for k in values}
    shares = {k: math.floor(total_wei * positive.get(k, Fraction(0)) / mass) for k in values}
    leftover = total_wei - sum(shares.values())
    top = max(positive, key=lambda k: (positive[k], k))
    shares[top] += leftover
    return {k: Wei(v) for k, v in shares.items()}
