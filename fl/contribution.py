"""Who helped how much: the contract's reward rule (mirrored) and leave-one-out values.

The contract pays bounty * (score - best) / (target - initial) for an improvement. Shapley
values of a round (what the lender's policy pays by) live in fl.strategy / fl.shapley;
leave-one-out stays for fedlend.services.evaluation until it moves to fl.strategy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import torch

from fedlend.types import Wei
from fl.evaluate import metric_value
from fl.merge import MergeInput, fedavg
from fl.spec import ModelSpec


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
