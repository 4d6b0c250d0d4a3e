"""evaluateRound on Anvil: one payout split by shares, to the wei; rejections; events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from eth_account.signers.local import LocalAccount

from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.events import RoundEvaluated, UpdateEvaluated
from fedlend.types import Digest, ModelStatus, UpdateStatus
from tests.contracts.helpers import contract_balance


@dataclass(frozen=True)
class Rounds:
    """The lender's client (dev account 0), three owners (dev accounts 1-3), fresh models."""

    repo: ModelRepositoryClient
    owners: list[ModelRepositoryClient]
    new_model: Callable[..., int]
    digest: Callable[[], Digest]

    def submit(self, model_id: int, n: int) -> list[int]:
        """n update ids to `model_id`, owner i % 3 submitting the i-th."""
        owners = self.owners
        return [owners[i % 3].submit_update(model_id, self.digest()).value for i in range(n)]


@pytest.fixture
def rounds(
    repo: ModelRepositoryClient,
    client_for: Callable[[LocalAccount | None], ModelRepositoryClient],
    dev_accounts: list[LocalAccount],
    new_model: Callable[..., int],
    make_digest: Callable[[], Digest],
) -> Rounds:
    """What every round test here uses, in one fixture."""
    return Rounds(repo, [client_for(a) for a in dev_accounts[1:4]], new_model, make_digest)


def test_round_splits_the_payout_by_shares_to_the_wei(rounds: Rounds) -> None:
    model_id = rounds.new_model(bounty_wei=10**18 + 7, initial=5000, target=8000)
    ids = rounds.submit(model_id, 3)
    owed = [o.owed() for o in rounds.owners]
    escrow = contract_balance(rounds.repo)
    weights = rounds.digest()
    done = rounds.repo.evaluate_round(
        model_id, ids, [3333, 0, 6667], score=6000, new_weights=weights
    )
    payout = (10**18 + 7) * 1000 // 3000  # 333333333333333335
    assert done.value.payout_wei == payout
    first = payout * 3333 // 10_000
    rewards = [u.reward_wei for u in done.value.updates]
    assert rewards == [first, 0, payout - first]  # the last paid update takes the remainder
    assert sum(rewards) == payout
    assert [u.status for u in done.value.updates] == [
        UpdateStatus.ACCEPTED,
        UpdateStatus.REJECTED,
        UpdateStatus.ACCEPTED,
    ]
    assert [o.owed() - b for o, b in zip(rounds.owners, owed, strict=True)] == rewards
    assert contract_balance(rounds.repo) == escrow  # credited, not yet paid out
    model = rounds.repo.get_model(model_id)
    assert (model.remaining_wei, model.best_score, model.weights) == (
        10**18 + 7 - payout,
        6000,
        weights,
    )
    assert model.pending_count == 0


def test_round_events_one_summary_and_one_per_update(rounds: Rounds) -> None:
    model_id = rounds.new_model(bounty_wei=3000, initial=0, target=3000)
    ids = rounds.submit(model_id, 4)
    done = rounds.repo.evaluate_round(
        model_id, ids, [2500, 2500, 0, 5000], score=1000, new_weights=rounds.digest()
    )
    events = rounds.repo.event_reader().fetch(
        from_block=done.block_number, to_block=done.block_number
    )
    per_update = [e for e in events if isinstance(e, UpdateEvaluated)]
    [summary] = [e for e in events if isinstance(e, RoundEvaluated)]
    assert [e.update_id for e in per_update] == ids
    assert [e.reward_wei for e in per_update] == [250, 250, 0, 500]
    assert (summary.payout_wei, summary.updates, summary.accepted) == (1000, 4, 3)
    assert (summary.score, summary.previous_best) == (1000, 0)


def test_round_that_does_not_beat_the_best_rejects_all_and_pays_nothing(rounds: Rounds) -> None:
    model_id = rounds.new_model(bounty_wei=10**15, initial=6000, target=8000)
    ids = rounds.submit(model_id, 3)
    owed = [o.owed() for o in rounds.owners]
    done = rounds.repo.evaluate_round(
        model_id, ids, [0, 0, 0], score=6000, new_weights=rounds.digest()
    )
    assert done.value.payout_wei == 0
    assert {u.status for u in done.value.updates} == {UpdateStatus.REJECTED}
    assert [o.owed() for o in rounds.owners] == owed
    model = rounds.repo.get_model(model_id)
    assert (model.remaining_wei, model.best_score, model.pending_count) == (10**15, 6000, 0)


def test_round_payout_is_capped_and_completes_the_model(rounds: Rounds) -> None:
    model_id = rounds.new_model(bounty_wei=999, initial=0, target=1000)
    first, second, late = rounds.submit(model_id, 3)
    rounds.repo.evaluate_round(model_id, [first], [10_000], score=600, new_weights=rounds.digest())
    done = rounds.repo.evaluate_round(
        model_id, [second], [10_000], score=10_000, new_weights=rounds.digest()
    )
    assert done.value.payout_wei == 999 - 599  # capped at what was left
    model = rounds.repo.get_model(model_id)
    assert (model.status, model.remaining_wei, model.pending_count) == (ModelStatus.COMPLETED, 0, 1)
    # a completed model's last pending update can still be judged, so the lender can close it
    rounds.repo.evaluate_round(model_id, [late], [0], score=0, new_weights=rounds.digest())
    assert rounds.repo.reclaim(model_id).value == 0


def test_a_round_of_one_hundred_fits(rounds: Rounds) -> None:
    model_id = rounds.new_model(bounty_wei=10**18 + 1, initial=0, target=10_000)
    ids = rounds.submit(model_id, 100)
    shares = [100] * 100
    done = rounds.repo.evaluate_round(
        model_id, ids, shares, score=5000, new_weights=rounds.digest()
    )
    rewards = [u.reward_wei for u in done.value.updates]
    assert sum(rewards) == done.value.payout_wei == (10**18 + 1) // 2
    assert rewards[:-1] == [done.value.payout_wei // 100] * 99


def test_evaluate_update_is_a_round_of_one(rounds: Rounds) -> None:
    model_id = rounds.new_model(bounty_wei=3000, initial=0, target=3000)
    [update_id] = rounds.submit(model_id, 1)
    done = rounds.repo.evaluate_update(update_id, score=1000, new_weights=rounds.digest())
    [summary] = rounds.repo.events(names=["RoundEvaluated"], model_id=model_id)
    assert (summary.updates, summary.accepted, summary.payout_wei) == (1, 1, 1000)
    assert done.value.reward_wei == 1000


def test_copied_digest_neither_blocks_the_owner_nor_is_refused(rounds: Rounds) -> None:
    model_id = rounds.new_model()
    digest = rounds.digest()
    copier, honest = rounds.owners[0], rounds.owners[1]
    copy_id = copier.submit_update(model_id, digest).value  # front-runs the honest owner
    honest_id = honest.submit_update(model_id, digest).value  # still goes through
    assert honest_id == copy_id + 1
    assert rounds.repo.get_update(honest_id).submitter == honest.account_address
    assert rounds.repo.get_update(copy_id).submitter == copier.account_address
    assert (
        rounds.repo.get_update(honest_id).digest == rounds.repo.get_update(copy_id).digest == digest
    )
