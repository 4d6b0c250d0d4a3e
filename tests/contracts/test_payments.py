"""Money paths of ModelRepository on Anvil, in exact wei: rewards, completion, reclaim, withdraw."""

from __future__ import annotations

import pytest

from fedlend.chain.anvil import set_balance
from fedlend.types import ModelStatus, UpdateStatus
from tests.contracts.helpers import ContractKit, contract_balance, refused

SHORT = 120

# (bounty, initial, target, scores, expected rewards, expected remaining, completed?)
# Expected figures are written out by hand from reward = bounty*(score-best)/(target-initial),
# capped at what is left, so the test does not share the formula it checks.
REWARD_CASES = [
    pytest.param(
        10**18,
        5000,
        8000,
        [6000, 6500, 6500, 9000],
        [333333333333333333, 166666666666666666, 0, 500000000000000001],
        0,
        True,
        id="capped-at-remaining-past-target",
    ),
    pytest.param(
        1000, 7000, 7003, [7001, 7002, 7003], [333, 333, 333], 1, True, id="rounding-dust"
    ),
    pytest.param(10, 0, 10_000, [10_000], [10], 0, True, id="one-step-to-target"),
    pytest.param(
        999_999_999_999_999_999,
        4000,
        4500,
        [4100, 4000, 4499],
        [199999999999999999, 0, 797999999999999999],
        2000000000000001,
        False,
        id="below-best-rejected",
    ),
    pytest.param(
        2**96 - 1,
        0,
        10_000,
        [1, 10_000],
        [7922816251426433759354395, 79220239698012911159784595939],
        1,
        True,
        id="max-bounty-no-overflow",
    ),
]


@pytest.mark.parametrize(
    ("bounty", "initial", "target", "scores", "rewards", "remaining", "completed"), REWARD_CASES
)
def test_reward_math(
    kit: ContractKit,
    bounty: int,
    initial: int,
    target: int,
    scores: list[int],
    rewards: list[int],
    remaining: int,
    completed: bool,
) -> None:
    lender_account = kit.accounts[8]
    set_balance(kit.repo.w3, lender_account.address, 2**97)
    lender = kit.client_for(lender_account)
    owner = kit.client_for(kit.accounts[3])
    model_id = kit.new_model(lender_account, bounty_wei=bounty, initial=initial, target=target)
    best = initial
    for score, reward in zip(scores, rewards, strict=True):
        owed_before = owner.owed()
        update_id = owner.submit_update(model_id, kit.digest()).value
        weights = kit.digest()
        record = lender.evaluate_update(update_id, score=score, new_weights=weights).value
        accepted, best = score > best, max(best, score)
        assert record.reward_wei == reward
        assert record.score == score
        assert record.status == (UpdateStatus.ACCEPTED if accepted else UpdateStatus.REJECTED)
        assert owner.owed() == owed_before + reward
        assert (lender.get_model(model_id).weights == weights) is accepted
    model = lender.get_model(model_id)
    assert model.remaining_wei == remaining
    assert model.bounty_wei == bounty
    assert model.best_score == max([initial, *scores])
    assert model.status == (ModelStatus.COMPLETED if completed else ModelStatus.OPEN)
    assert sum(rewards) + remaining == bounty
    owner.withdraw()


def test_withdraw_pays_exact_wei(
    kit: ContractKit,
) -> None:
    owner = kit.client_for(kit.accounts[4])
    model_id = kit.new_model(bounty_wei=3 * 10**18, initial=6000, target=9000)
    update_id = owner.submit_update(model_id, kit.digest()).value
    kit.repo.evaluate_update(update_id, score=7000, new_weights=kit.digest())
    owed = owner.owed()
    assert owed == 10**18
    balance, escrow = owner.balance_of(), contract_balance(kit.repo)
    paid = owner.withdraw()
    assert paid.value == owed
    assert owner.balance_of() == balance + owed - paid.fee_wei
    assert contract_balance(kit.repo) == escrow - owed
    assert owner.owed() == 0
    with refused("NothingOwed"):
        owner.withdraw()


def test_lender_reclaims_the_rest_after_the_deadline(
    kit: ContractKit,
) -> None:
    lender = kit.client_for(kit.accounts[5])
    owner = kit.client_for(kit.accounts[6])
    model_id = kit.new_model(
        kit.accounts[5], bounty_wei=10**18, initial=0, target=10_000, duration=SHORT
    )
    early = owner.submit_update(model_id, kit.digest()).value
    late = owner.submit_update(model_id, kit.digest()).value
    lender.evaluate_update(early, score=2500, new_weights=kit.digest())
    kit.advance_time(SHORT + 1)
    # after the deadline the lender may still evaluate (and pay) updates submitted before it
    record = lender.evaluate_update(late, score=3000, new_weights=kit.digest()).value
    assert record.reward_wei == 5 * 10**16
    owed_before = lender.owed()
    reclaimed = lender.reclaim(model_id)
    assert reclaimed.value == 10**18 - 25 * 10**16 - 5 * 10**16
    assert lender.owed() == owed_before + reclaimed.value
    assert lender.get_model(model_id).status == ModelStatus.RECLAIMED
    assert lender.get_model(model_id).remaining_wei == 0
    balance = lender.balance_of()
    paid = lender.withdraw()
    assert lender.balance_of() == balance + paid.value - paid.fee_wei
    assert paid.value == owed_before + reclaimed.value


def test_completed_model_can_be_reclaimed_before_its_deadline(
    kit: ContractKit,
) -> None:
    owner = kit.client_for(kit.accounts[1])
    model_id = kit.new_model(bounty_wei=1000, initial=7000, target=7003)
    for score in (7001, 7002, 7003):
        update_id = owner.submit_update(model_id, kit.digest()).value
        kit.repo.evaluate_update(update_id, score=score, new_weights=kit.digest())
    model = kit.repo.get_model(model_id)
    assert model.status == ModelStatus.COMPLETED
    assert model.remaining_wei == 1
    assert kit.repo.reclaim(model_id).value == 1


def test_models_never_pay_from_each_others_escrow(
    kit: ContractKit,
) -> None:
    small_lender, big_lender = kit.client_for(kit.accounts[2]), kit.client_for(kit.accounts[3])
    owner = kit.client_for(kit.accounts[7])
    small = kit.new_model(kit.accounts[2], bounty_wei=100, initial=0, target=100)
    big = kit.new_model(kit.accounts[3], bounty_wei=10**18)
    escrow = contract_balance(kit.repo)
    owed_before = owner.owed()
    paid = 0
    for score in (50, 10_000):  # the second one asks for 99x the bounty: capped at what is left
        update_id = owner.submit_update(small, kit.digest()).value
        paid += small_lender.evaluate_update(
            update_id, score=score, new_weights=kit.digest()
        ).value.reward_wei
    assert paid == 100
    assert big_lender.get_model(big).remaining_wei == 10**18
    assert small_lender.get_model(small).remaining_wei == 0
    assert owner.owed() == owed_before + 100
    assert contract_balance(kit.repo) == escrow  # credits are still escrowed until withdrawn


def test_rejected_update_is_recorded_with_its_score_and_pays_nothing(
    kit: ContractKit,
) -> None:
    owner = kit.client_for(kit.accounts[1])
    model_id = kit.new_model(initial=6000, target=9000)
    before = kit.repo.get_model(model_id)
    owed = owner.owed()
    update_id = owner.submit_update(model_id, kit.digest()).value
    record = kit.repo.evaluate_update(update_id, score=6000, new_weights=kit.digest()).value
    assert (record.status, record.score, record.reward_wei) == (UpdateStatus.REJECTED, 6000, 0)
    after = kit.repo.get_model(model_id)
    assert (after.weights, after.best_score, after.remaining_wei) == (
        before.weights,
        before.best_score,
        before.remaining_wei,
    )
    assert owner.owed() == owed
