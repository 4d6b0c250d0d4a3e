"""`--engine flower`: owners as Flower ClientApps on Ray reach the in-process engine's weights."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from fl.engine import FederatedTask, run_in_process
from fl.flower_engine import run_flower
from fl.splits import SplitConfig, split_loans


@pytest.fixture(scope="module")
def task(loans: pd.DataFrame) -> FederatedTask:
    """10 owners of real loans (random split), 2 rounds, each owner's total epsilon 3."""
    split = split_loans(loans, SplitConfig(owners=10, split="random", seed=0))
    return FederatedTask(split=split, rounds=2, epsilon=3.0, epochs=5, seed=4)


def test_ten_owners_on_flower_reach_the_in_process_weights_bit_for_bit(
    task: FederatedTask,
) -> None:
    local = run_in_process(task)
    flower = run_flower(task)
    assert flower.engine == "flower"
    assert len(flower.round_scores_bps) == 2
    assert flower.round_scores_bps == local.round_scores_bps
    assert flower.round_accepted == local.round_accepted
    assert any(local.round_accepted)
    assert all(torch.equal(flower.weights[k], local.weights[k]) for k in local.weights)
    assert flower.epsilon_spent == pytest.approx(local.epsilon_spent)
    assert local.epsilon_spent is not None
    assert 2.9 <= local.epsilon_spent <= 3.0  # each owner's two runs compose to its total
    assert flower.test_auc == local.test_auc > 0.66
