"""Verified models on Anvil: a round is paid only with a proof of its AUC on the committed data."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.events import RoundEvaluated
from fedlend.chain.zk_verifier import DeployedVerifier
from fedlend.errors import ContractError
from fedlend.services.zk_audit import audit_proofs
from fedlend.types import Digest, UpdateStatus
from tests.conftest import DAY
from tests.contracts.helpers import contract_balance, refused
from tests.zk.conftest import BOUNTY, TARGET, Claim, ZkRound, create_verified, prove_round
from tests.zk.conftest import claim_of as _claim
from zk.fixed import ValidationSet
from zk.keys import CircuitKeys
from zk.prover import prove


def _submit(repo: ModelRepositoryClient, owner: LocalAccount, model_id: int) -> int:
    digest = Digest(hashlib.sha256(f"{model_id}-{owner.address}".encode()).digest())
    return repo.with_account(owner).submit_update(model_id, digest).value


def _send(
    repo: ModelRepositoryClient, model_id: int, update_id: int, claim: Claim, share: int = 10_000
) -> int:
    return prove_round(repo, model_id, update_id, claim, share).value.payout_wei


def test_an_honest_verified_round_is_paid_in_wei(
    repo: ModelRepositoryClient,
    dev_accounts: list[LocalAccount],
    verified_model: Callable[[], int],
    initial: ZkRound,
    honest: ZkRound,
    zk_keys: CircuitKeys,
) -> None:
    claim, start = _claim(honest, zk_keys), initial.proof.score(zk_keys)
    model_id = verified_model()
    owner = dev_accounts[3]
    update_id = _submit(repo, owner, model_id)
    owed_before = repo.owed(owner.address)
    payout = _send(repo, model_id, update_id, claim)
    assert payout == BOUNTY * (claim.score - start) // (TARGET - start)
    assert repo.owed(owner.address) - owed_before == payout
    model = repo.get_model(model_id)
    assert model.best_score == claim.score
    assert model.weights == claim.new_weights
    assert repo.update_status(update_id) is UpdateStatus.ACCEPTED


def test_a_rejection_needs_and_takes_a_proof(
    repo: ModelRepositoryClient,
    dev_accounts: list[LocalAccount],
    verified_model: Callable[[], int],
    initial: ZkRound,
    zk_keys: CircuitKeys,
) -> None:
    claim = _claim(initial, zk_keys)  # the initial weights again: no better than the best
    model_id = verified_model()
    update_id = _submit(repo, dev_accounts[4], model_id)
    payout = _send(repo, model_id, update_id, claim, share=0)
    assert payout == 0
    assert repo.update_status(update_id) is UpdateStatus.REJECTED


def _higher_score(c: Claim, _other: ZkRound) -> Claim:
    return replace(c, score=c.score + 1)


def _other_weights_digest(c: Claim, _other: ZkRound) -> Claim:
    return replace(c, new_weights=hashlib.sha256(b"other weights").digest())


def _other_public_weights(c: Claim, _other: ZkRound) -> Claim:
    changed = (c.instances[0] + 1, *c.instances[1:])
    return replace(c, instances=changed)


def _other_data(c: Claim, other: ZkRound) -> Claim:
    return replace(c, proof=other.proof.data, instances=other.proof.instances)


def _tampered_byte_of(c: Claim) -> Claim:
    middle = len(c.proof) // 2
    return replace(c, proof=c.proof[:middle] + bytes([c.proof[middle] ^ 1]) + c.proof[middle + 1 :])


def _tampered_byte(c: Claim, _other: ZkRound) -> Claim:
    return _tampered_byte_of(c)


CHEATS = [
    pytest.param(_higher_score, "ScoreMismatch", id="claimed score 1 bp higher"),
    pytest.param(_other_weights_digest, "WeightsMismatch", id="other weights recorded"),
    pytest.param(_other_public_weights, "ProofRejected", id="other public weights"),
    pytest.param(_other_data, "CommitmentMismatch", id="proof over other data"),
    pytest.param(_tampered_byte, "ProofRejected", id="one tampered proof byte"),
    pytest.param(None, "ProofRequired", id="missing proof"),
]


@pytest.mark.parametrize(("cheat", "error"), CHEATS)
def test_a_cheating_round_is_refused_and_nothing_is_paid(
    repo: ModelRepositoryClient,
    dev_accounts: list[LocalAccount],
    verified_model: Callable[[], int],
    honest: ZkRound,
    other_data: ZkRound,
    zk_keys: CircuitKeys,
    cheat: Callable[[Claim, ZkRound], Claim] | None,
    error: str,
) -> None:
    claim = _claim(honest, zk_keys)
    model_id = verified_model()
    owner = dev_accounts[5]
    update_id = _submit(repo, owner, model_id)
    owed, balance = repo.owed(owner.address), contract_balance(repo)
    with refused(error):
        if cheat is None:
            repo.evaluate_round(
                model_id,
                [update_id],
                [10_000],
                score=claim.score,
                new_weights=Digest(claim.new_weights),
            )
        else:
            _send(repo, model_id, update_id, cheat(claim, other_data))
    assert repo.owed(owner.address) == owed
    assert contract_balance(repo) == balance
    assert repo.update_status(update_id) is UpdateStatus.PENDING
    assert repo.get_model(model_id).remaining_wei == BOUNTY


def test_an_unverified_model_refuses_a_proof_and_keeps_working(
    repo: ModelRepositoryClient,
    dev_accounts: list[LocalAccount],
    new_model: Callable[..., int],
    honest: ZkRound,
    zk_keys: CircuitKeys,
) -> None:
    claim = _claim(honest, zk_keys)
    model_id = new_model(initial=claim.score - 500, target=TARGET)  # unverified
    assert repo.get_verification(model_id) is None
    update_id = _submit(repo, dev_accounts[6], model_id)
    with refused("NotVerified"):
        _send(repo, model_id, update_id, claim)
    paid = repo.evaluate_round(
        model_id, [update_id], [10_000], score=claim.score, new_weights=Digest(claim.new_weights)
    ).value.payout_wei
    assert paid == 10**18 * 500 // (TARGET - claim.score + 500)


@pytest.mark.parametrize(
    ("cheat", "error"),
    [
        pytest.param(lambda c: replace(c, score=c.score - 1), "ScoreMismatch", id="understated"),
        pytest.param(_tampered_byte_of, "ProofRejected", id="tampered proof"),
    ],
)
def test_a_verified_model_needs_a_true_initial_score(
    repo: ModelRepositoryClient,
    round_verifier: DeployedVerifier,
    initial: ZkRound,
    zk_keys: CircuitKeys,
    chain_now: Callable[[], int],
    cheat: Callable[[Claim], Claim],
    error: str,
) -> None:
    balance, count = contract_balance(repo), repo.model_count()
    with refused(error):
        create_verified(
            repo, round_verifier.round_verifier, cheat(_claim(initial, zk_keys)), chain_now() + DAY
        )
    assert (contract_balance(repo), repo.model_count()) == (balance, count)


def test_a_verified_model_fixes_its_verifier_and_commitment(
    repo: ModelRepositoryClient,
    verified_model: Callable[[], int],
    round_verifier: DeployedVerifier,
    honest: ZkRound,
) -> None:
    model_id = verified_model()
    verifier, commitment = repo.get_verification(model_id) or ("", b"")
    assert verifier == round_verifier.round_verifier
    assert commitment == honest.commitment


def _rounds(repo: ModelRepositoryClient, model_id: int) -> list[RoundEvaluated]:
    return [e for e in repo.events(model_id=model_id) if isinstance(e, RoundEvaluated)]


def test_the_audit_rechecks_every_proof_from_chain_data_alone(
    repo: ModelRepositoryClient,
    dev_accounts: list[LocalAccount],
    verified_model: Callable[[], int],
    new_model: Callable[..., int],
    honest: ZkRound,
    zk_keys: CircuitKeys,
) -> None:
    claim = _claim(honest, zk_keys)
    model_id = verified_model()
    _send(repo, model_id, _submit(repo, dev_accounts[7], model_id), claim)
    [proof] = audit_proofs(repo.with_account(None), model_id, _rounds(repo, model_id)) or []
    assert (proof.proven, proof.score, proof.reason) == (True, claim.score, "proven")
    plain = new_model()
    assert audit_proofs(repo, plain, _rounds(repo, plain)) is None


def test_a_proof_of_weights_outside_the_packing_range_is_refused(
    repo: ModelRepositoryClient,
    dev_accounts: list[LocalAccount],
    verified_model: Callable[[], int],
    zk_sets: tuple[ValidationSet, ValidationSet],
    zk_weights: np.ndarray,
    zk_keys: CircuitKeys,
) -> None:
    weights = zk_weights.copy()
    weights[-1] = (1 << 24) + 5  # its packed word reads as other weights: no score may follow
    proof = prove(zk_sets[0], weights, zk_keys)
    words = proof.instances[: zk_keys.shape.word_count]
    digest = hashlib.sha256(b"".join(w.to_bytes(32, "big") for w in words)).digest()
    claim = Claim(score=5_000, new_weights=digest, proof=proof.data, instances=proof.instances)
    model_id = verified_model()
    update_id = _submit(repo, dev_accounts[5], model_id)
    with pytest.raises(ContractError) as info:
        _send(repo, model_id, update_id, claim)
    bad_outputs = Web3.keccak(text="RoundVerifierBadOutputs(uint256,uint256,uint256)")[:4]
    assert "0x" + bad_outputs.hex().removeprefix("0x") in str(info.value)  # the verifier's error
    assert repo.update_status(update_id) is UpdateStatus.PENDING
    assert repo.get_model(model_id).remaining_wei == BOUNTY
