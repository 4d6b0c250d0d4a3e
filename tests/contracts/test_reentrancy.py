"""Hostile receivers: re-entering withdraw() fails, and a reverting receiver blocks nobody else."""

from __future__ import annotations

from collections.abc import Callable

from eth_account.signers.local import LocalAccount

from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.revert import RevertDecoder
from fedlend.types import Address, Digest, ModelStatus
from tests.contracts.helpers import contract_balance, deploy_helper, refused, send_helper


def _credit_attacker(
    repo: ModelRepositoryClient,
    account: LocalAccount,
    new_model: Callable[..., int],
    make_digest: Callable[[], Digest],
) -> tuple[object, int]:
    attacker = deploy_helper(repo.w3, account, "ReentrantWithdrawer", repo.address)
    model_id = new_model(bounty_wei=10**18, initial=0, target=10_000)
    # a second model's escrow is what a successful re-entry would steal
    new_model(bounty_wei=5 * 10**18)
    receipt = send_helper(repo, account, attacker.functions.submit(model_id, make_digest()))
    update_id = repo.contract.events.UpdateSubmitted().process_receipt(receipt)[0]["args"][
        "updateId"
    ]
    repo.evaluate_update(update_id, score=4000, new_weights=make_digest())
    assert repo.owed(attacker.address) == 4 * 10**17
    return attacker, 4 * 10**17


def test_reentrant_withdraw_is_refused_and_pays_once(
    repo: ModelRepositoryClient,
    dev_accounts: list[LocalAccount],
    new_model: Callable[..., int],
    make_digest: Callable[[], Digest],
) -> None:
    account = dev_accounts[5]
    attacker, owed = _credit_attacker(repo, account, new_model, make_digest)
    escrow = contract_balance(repo)
    send_helper(repo, account, attacker.functions.attack())  # type: ignore[attr-defined]
    calls = attacker.functions  # type: ignore[attr-defined]
    assert calls.received().call() == owed  # paid exactly once
    assert calls.reentries().call() == 1  # it did try again
    decoded = RevertDecoder(repo.artifact.abi).decode(calls.lastError().call())
    assert decoded == ("ModelRepositoryReentrantCall", ())
    assert repo.balance_of(attacker.address) == owed  # type: ignore[attr-defined]
    assert contract_balance(repo) == escrow - owed
    assert repo.owed(attacker.address) == 0  # type: ignore[attr-defined]


def test_reentry_that_bubbles_reverts_the_whole_withdrawal(
    repo: ModelRepositoryClient,
    dev_accounts: list[LocalAccount],
    new_model: Callable[..., int],
    make_digest: Callable[[], Digest],
) -> None:
    account = dev_accounts[6]
    attacker, owed = _credit_attacker(repo, account, new_model, make_digest)
    calls = attacker.functions  # type: ignore[attr-defined]
    send_helper(repo, account, calls.setBubble(True))
    escrow = contract_balance(repo)
    with refused("TransferFailed") as info:
        send_helper(repo, account, calls.attack())
    assert info.value.error_args == (attacker.address, owed)  # type: ignore[attr-defined]
    assert contract_balance(repo) == escrow
    assert repo.owed(attacker.address) == owed  # type: ignore[attr-defined]
    assert repo.balance_of(attacker.address) == 0  # type: ignore[attr-defined]


def test_reverting_owner_cannot_block_other_owners_or_the_lender(
    repo: ModelRepositoryClient,
    client_for: Callable[[LocalAccount | None], ModelRepositoryClient],
    dev_accounts: list[LocalAccount],
    new_model: Callable[..., int],
    make_digest: Callable[[], Digest],
    advance_time: Callable[[int], int],
) -> None:
    account = dev_accounts[7]
    blocker = deploy_helper(repo.w3, account, "RevertingReceiver", repo.address)
    honest = client_for(dev_accounts[8])
    escrow = contract_balance(repo)
    model_id = new_model(bounty_wei=10**18, initial=0, target=10_000, duration=300)
    receipt = send_helper(repo, account, blocker.functions.submit(model_id, make_digest()))
    blocked_update = repo.contract.events.UpdateSubmitted().process_receipt(receipt)[0]["args"][
        "updateId"
    ]
    honest_update = honest.submit_update(model_id, make_digest()).value
    honest_owed = honest.owed()
    repo.evaluate_update(blocked_update, score=1000, new_weights=make_digest())
    repo.evaluate_update(honest_update, score=3000, new_weights=make_digest())
    with refused("TransferFailed"):
        send_helper(repo, account, blocker.functions.withdraw())
    assert repo.owed(blocker.address) == 10**17  # still credited, still escrowed
    balance = honest.balance_of()
    paid = honest.withdraw()
    assert paid.value == honest_owed + 2 * 10**17
    assert honest.balance_of() == balance + paid.value - paid.fee_wei
    advance_time(301)
    lender_owed = repo.owed()
    assert repo.reclaim(model_id).value == 7 * 10**17
    assert repo.withdraw().value == lender_owed + 7 * 10**17
    # only the blocker's 0.1 ETH of this model is still escrowed, waiting for it
    assert contract_balance(repo) == escrow - honest_owed - lender_owed + 10**17


def test_reverting_lender_cannot_block_its_owners(
    repo: ModelRepositoryClient,
    client_for: Callable[[LocalAccount | None], ModelRepositoryClient],
    dev_accounts: list[LocalAccount],
    make_digest: Callable[[], Digest],
    chain_now: Callable[[], int],
    advance_time: Callable[[int], int],
) -> None:
    account = dev_accounts[9]
    lender = deploy_helper(repo.w3, account, "RevertingReceiver", repo.address)
    owner = client_for(dev_accounts[4])
    create = lender.functions.createModel(
        make_digest(), make_digest(), 0, 10_000, chain_now() + 300, 3600
    )
    send_helper(repo, account, create, value=10**18)
    model_id = repo.model_count()
    assert repo.get_model(model_id).lender == Address(lender.address)
    update_id = owner.submit_update(model_id, make_digest()).value
    owed_before = owner.owed()
    send_helper(repo, account, lender.functions.evaluate(update_id, 2000, make_digest()))
    assert owner.owed() == owed_before + 2 * 10**17
    assert owner.withdraw().value == owed_before + 2 * 10**17
    advance_time(301)
    send_helper(repo, account, lender.functions.reclaim(model_id))
    assert repo.get_model(model_id).status == ModelStatus.RECLAIMED
    assert repo.owed(lender.address) == 8 * 10**17
    with refused("TransferFailed"):
        send_helper(repo, account, lender.functions.withdraw())
