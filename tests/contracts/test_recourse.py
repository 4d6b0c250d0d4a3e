"""Recourse against a lender who does not evaluate: claims after the review window, in exact wei."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_account.signers.local import LocalAccount

from fedlend.chain.client import ModelRepositoryClient
from fedlend.types import Digest, ModelStatus, UpdateStatus
from tests.contracts.helpers import ContractKit, contract_balance, refused

DURATION = 200
REVIEW = 3600


@pytest.fixture
def owners(
    client_for: Callable[[LocalAccount | None], ModelRepositoryClient],
    dev_accounts: list[LocalAccount],
) -> list[ModelRepositoryClient]:
    """Three owners (dev accounts 4-6)."""
    return [client_for(a) for a in dev_accounts[4:7]]


def _ghosted(
    new_model: Callable[..., int],
    owners: list[ModelRepositoryClient],
    make_digest: Callable[[], Digest],
    bounty: int,
) -> tuple[int, list[int]]:
    model_id = new_model(bounty_wei=bounty, duration=DURATION, review=REVIEW)
    return model_id, [o.submit_update(model_id, make_digest()).value for o in owners]


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 0, 1), (1, 2, 0)])
def test_a_ghosting_lender_cannot_keep_the_bounty(
    kit: ContractKit,
    owners: list[ModelRepositoryClient],
    order: tuple[int, int, int],
) -> None:
    bounty = 10**18 + 3  # 3 claims of 333333333333333334 wei, 1 wei left for the lender
    model_id, ids = _ghosted(kit.new_model, owners, kit.digest, bounty)
    kit.advance_time(DURATION + 1)
    with refused("UpdatesPending"):
        kit.repo.reclaim(model_id)  # the lender cannot walk away inside the review window
    kit.advance_time(REVIEW)
    escrow = contract_balance(kit.repo)
    share = bounty // 3
    for i in order:  # whatever the order, every claim gets the same amount
        before = owners[i].owed()
        claimed = owners[(i + 1) % 3].claim_unreviewed(ids[i])  # anyone may trigger it
        assert claimed.value == share
        assert owners[i].owed() == before + share
        assert kit.repo.get_update(ids[i]).status == UpdateStatus.EXPIRED
    assert kit.repo.reclaim(model_id).value == bounty - 3 * share == 1
    assert contract_balance(kit.repo) == escrow
    model = kit.repo.get_model(model_id)
    assert (model.status, model.remaining_wei, model.pending_count) == (ModelStatus.RECLAIMED, 0, 0)
    for owner in owners:
        balance = owner.balance_of(owner.account_address)
        paid = owner.withdraw()
        assert owner.balance_of(owner.account_address) == balance + paid.value - paid.fee_wei


def test_reclaim_after_the_window_leaves_the_unclaimed_shares(
    kit: ContractKit,
    owners: list[ModelRepositoryClient],
) -> None:
    bounty = 10**18
    model_id, ids = _ghosted(kit.new_model, owners, kit.digest, bounty)
    kit.repo.evaluate_round(model_id, [ids[0]], [10_000], score=6500, new_weights=kit.digest())
    paid = bounty * 1500 // 3000
    kit.advance_time(DURATION + REVIEW + 1)
    share = (bounty - paid) // 2
    lender_owed = kit.repo.owed()
    assert kit.repo.reclaim(model_id).value == bounty - paid - 2 * share  # the rounding remainder
    assert kit.repo.owed() == lender_owed + bounty - paid - 2 * share
    model = kit.repo.get_model(model_id)
    assert (model.remaining_wei, model.claim_share_wei, model.window_closed) == (
        2 * share,
        share,
        True,
    )
    assert owners[1].claim_unreviewed(ids[1]).value == share  # claims still work after reclaim
    assert owners[2].claim_unreviewed(ids[2]).value == share
    assert kit.repo.get_model(model_id).remaining_wei == 0
    with refused("AlreadyReclaimed"):
        kit.repo.reclaim(model_id)


def test_claims_do_not_touch_other_models(
    kit: ContractKit,
    owners: list[ModelRepositoryClient],
) -> None:
    model_id, ids = _ghosted(kit.new_model, owners[:1], kit.digest, 777)
    other = kit.new_model(bounty_wei=555, duration=30 * 86400)
    kit.advance_time(DURATION + REVIEW + 1)
    assert owners[0].claim_unreviewed(ids[0]).value == 777
    assert kit.repo.get_model(other).remaining_wei == 555
    assert kit.repo.get_model(model_id).remaining_wei == 0
    assert kit.repo.reclaim(model_id).value == 0
