"""Merging (FedAvg of deltas, stale bases), the contract reward mirror, leave-one-out."""

from __future__ import annotations

import pytest
import torch

from fl.contribution import contract_reward
from fl.merge import MergeInput, fedavg
from fl.models import init_weights
from fl.spec import ModelSpec


def _w(spec: ModelSpec, value: float) -> dict[str, torch.Tensor]:
    return {k: torch.full_like(v, value) for k, v in init_weights(spec).items()}


def test_fedavg_of_fresh_updates_is_the_weighted_mean_of_new_weights(spec: ModelSpec) -> None:
    current = _w(spec, 0.0)
    a, b = MergeInput(_w(spec, 1.0), current, 100), MergeInput(_w(spec, 4.0), current, 300)
    merged = fedavg(current, [a, b])
    assert torch.allclose(merged["linear.weight"], torch.full_like(merged["linear.weight"], 3.25))
    assert fedavg(current, [])["linear.bias"].item() == 0.0


def test_stale_update_applies_its_delta_to_the_current_model_down_weighted(
    spec: ModelSpec,
) -> None:
    old_base, current = _w(spec, 0.0), _w(spec, 10.0)
    stale = MergeInput(_w(spec, 2.0), old_base, 100, staleness=1)  # delta +2, one version old
    fresh = MergeInput(_w(spec, 10.0), current, 100)  # delta 0
    alone = fedavg(current, [stale])  # its delta lands on the current weights, not its old base
    assert alone["linear.bias"].item() == pytest.approx(12.0)
    merged = fedavg(current, [stale, fresh], staleness_decay=0.5)
    # weights 50 (stale, halved) and 100: 10 + 2 * 50 / 150
    assert merged["linear.bias"].item() == pytest.approx(10 + 2 / 3, rel=1e-6)
    capped = fedavg(current, [MergeInput(_w(spec, 11.0), current, 10**9), fresh], max_examples=100)
    assert capped["linear.bias"].item() == pytest.approx(10.5)


@pytest.mark.parametrize(
    ("score", "best", "remaining", "expected"),
    [
        (6500, 6000, 10**18, 10**18 * 500 // 1500),  # 1/3 of the bounty, floored like Solidity
        (6000, 6000, 10**18, 0),  # no improvement, no reward
        (5900, 6000, 10**18, 0),
        (7500, 6000, 10**18, 10**18),  # reaching the target pays the rest
        (9000, 6000, 4 * 10**17, 4 * 10**17),  # capped at what is left
        (6001, 6000, 10**18, 666_666_666_666_666),
    ],
)
def test_contract_reward_mirror(score: int, best: int, remaining: int, expected: int) -> None:
    reward = contract_reward(
        bounty_wei=10**18,
        remaining_wei=remaining,
        score=score,
        best=best,
        initial=6000,
        target=7500,
    )
    assert reward == expected
