"""Hostile receivers: re-entering withdraw() fails, and a reverting receiver blocks nobody else."""

from __future__ import annotations

from collections.abc import Callable

from eth_account.signers.local import LocalAccount

from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.revert import RevertDecoder
from fedlend.types import Address, Digest, ModelStatus
from tests.contracts.helpers import (
    ContractKit,
    contract_balance,
    deploy_helper,
    refused,
    send_helper,
)


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
    kit: ContractKit,
) -> None:
    account = kit.accounts[5]
    attacker, owed = _credit_attacker(kit.repo, account, kit.new_model, kit.digest)
    escrow = contract_balance(kit.repo)
    send_helper(kit.repo, account, attacker.functions.attack())  # type: ignore[attr-defined]
    calls = attacker.functions  # type: ignore[attr-defined]
    assert calls.received().call() == owed  # paid exactly once
    assert calls.reentries().call() == 1  # it did try again
    decoded = RevertDecoder(kit.repo.artifact.abi).decode(calls.lastError().call())
    assert decoded == ("ModelRepositoryReentrantCall", ())
    assert kit.repo.balance_of(attacker.address) == owed  # type: ignore[attr-defined]
    assert contract_balance(kit.repo) == escrow - owed
    assert kit.repo.owed(attacker.address) == 0  # type: ignore[attr-defined]


def test_reentry_that_bubbles_reverts_the_whole_withdrawal(
    kit: ContractKit,
) -> None:
    account = kit.accounts[6]
    attacker, owed = _credit_attacker(kit.repo, account, kit.new_model, kit.digest)
    calls = attacker.functions  # type: ignore[attr-defined]
    send_helper(kit.repo, account, calls.setBubble(True))
    escrow = contract_balance(kit.repo)
    with refused("TransferFailed") as info:
        send_helper(kit.repo, account, calls.attack())
    assert info.value.error_args == (attacker.address, owed)  # type: ignore[attr-defined]
    assert contract_balance(kit.repo) == escrow
    assert kit.repo.owed(attacker.address) == owed  # type: ignore[attr-defined]
    assert kit.repo.balance_of(attacker.address) == 0  # type: ignore[attr-defined]


def test_reverting_owner_cannot_block_other_owners_or_the_lender(
    kit: ContractKit,
) -> None:
    account = kit.accounts[7]
    blocker = deploy_helper(kit.repo.w3, account, "RevertingReceiver", kit.repo.address)
    honest = kit.client_for(kit.accounts[8])
    escrow = contract_balance(kit.repo)
    model_id = kit.new_model(bounty_wei=10**18, initial=0, target=10_000, duration=300)
    receipt = send_helper(kit.repo, account, blocker.functions.submit(model_id, kit.digest()))
    blocked_update = kit.repo.contract.events.UpdateSubmitted().process_receipt(receipt)[0]["args"][
        "updateId"
    ]
    honest_update = honest.submit_update(model_id, kit.digest()).value
    honest_owed = honest.owed()
    kit.repo.evaluate_update(blocked_update, score=1000, new_weights=kit.digest())
    kit.repo.evaluate_update(honest_update, score=3000, new_weights=kit.digest())
    with refused("TransferFailed"):
        send_helper(kit.repo, account, blocker.functions.withdraw())
    assert kit.repo.owed(blocker.address) == 10**17  # still credited, still escrowed
    balance = honest.balance_of()
    paid = honest.withdraw()
    assert paid.value == honest_owed + 2 * 10**17
    assert honest.balance_of() == balance + paid.value - paid.fee_wei
    kit.advance_time(301)
    lender_owed = kit.repo.owed()
    assert kit.repo.reclaim(model_id).value == 7 * 10**17
    assert kit.repo.withdraw().value == lender_owed + 7 * 10**17
    # only the blocker's 0.1 ETH of this model is still escrowed, waiting for it
    assert contract_balance(kit.repo) == escrow - honest_owed - lender_owed + 10**17


def test_reverting_lender_cannot_block_its_owners(
    kit: ContractKit,
    chain_now: Callable[[], int],
) -> None:
    account = kit.accounts[9]
    lender = deploy_helper(kit.repo.w3, account, "RevertingReceiver", kit.repo.address)
    owner = kit.client_for(kit.accounts[4])
    create = lender.functions.createModel(
        kit.digest(), kit.digest(), 0, 10_000, chain_now() + 300, 3600
    )
    send_helper(kit.repo, account, create, value=10**18)
    model_id = kit.repo.model_count()
    assert kit.repo.get_model(model_id).lender == Address(lender.address)
    update_id = owner.submit_update(model_id, kit.digest()).value
    owed_before = owner.owed()
    send_helper(kit.repo, account, lender.functions.evaluate(update_id, 2000, kit.digest()))
    assert owner.owed() == owed_before + 2 * 10**17
    assert owner.withdraw().value == owed_before + 2 * 10**17
    kit.advance_time(301)
    send_helper(kit.repo, account, lender.functions.reclaim(model_id))
    assert kit.repo.get_model(model_id).status == ModelStatus.RECLAIMED
    assert kit.repo.owed(lender.address) == 8 * 10**17
    with refused("TransferFailed"):
        send_helper(kit.repo, account, lender.functions.withdraw())
