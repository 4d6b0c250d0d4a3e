"""The one in-process loop: a failed owner sits the round out, the ledger books every run."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fl.engine import FederatedTask, run_in_process
from fl.features import EncodedData
from fl.privacy import PrivacyLedger
from fl.splits import Split, SplitConfig, split_loans


@pytest.fixture(scope="module")
def split(loans: pd.DataFrame) -> Split:
    """Three owners of real loans; the third holds no rows at all (its training must fail)."""
    whole = split_loans(loans.sample(9000, random_state=2), SplitConfig(owners=3, seed=1))
    empty = EncodedData(X=np.zeros((0, whole.spec.n_inputs), np.float32), y=np.zeros(0, np.float32))
    return replace(whole, owners=[*whole.owners[:2], empty])


@pytest.mark.parametrize("policy", ["shapley", "fedavg"])
def test_a_failed_owner_is_counted_and_the_ledger_books_the_others(
    split: Split, tmp_path: Path, policy: str
) -> None:
    ledger = PrivacyLedger(tmp_path / "ledger.sqlite", durable=False)
    accounts = []
    for i in range(3):
        ledger.set_budget(f"owner{i}", "d", epsilon=3.0, delta=1e-5)
        accounts.append(ledger.account(f"owner{i}", "d"))
    task = FederatedTask(split=split, rounds=2, epsilon=3.0, epochs=2, policy=policy)
    seen: list[float] = []
    run = run_in_process(task, lambda f, _m: seen.append(f), accounts)
    assert run.failed_trainings == 2  # the empty owner, once per round
    assert [r.updates for r in run.rounds] == [2, 2]
    assert [r.round for r in run.rounds] == [1, 2]
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
    spent = [ledger.spent(f"owner{i}", "d").epsilon for i in range(3)]
    assert spent[2] == 0.0  # refused before any step: nothing booked
    assert run.epsilon_spent == pytest.approx(max(spent), abs=1e-9)
    assert 2.9 <= max(spent) <= 3.0  # two runs compose to the owner's total
    assert run.policy == policy
    if policy == "fedavg":
        assert all(r.method == "fedavg" and r.accepted for r in run.rounds)
        assert run.shapley == []
        assert run.rewards_wei == []
    else:
        assert run.rounds[0].method == "exact"
        assert run.rounds[0].accepted  # two owners' DP updates beat the zero model
        paid = sum(r.payout_wei for r in run.rounds)
        assert 0 < sum(run.rewards_wei) <= paid <= task.bounty_wei
        assert run.rewards_wei[2] == 0
