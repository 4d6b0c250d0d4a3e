"""A model's verification as owners read it: the record, and the check that its verifier is ours."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract

from fedlend.chain.bytecode import match_runtime
from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.compile import load_artifact
from fedlend.chain.rpc import send_call
from fedlend.chain.zk_verifier import DeployedVerifier
from fedlend.services.verification import verification_of
from fedlend.services.verifier_check import Claimed, check_verifier
from fedlend.types import Digest
from tests.conftest import DAY
from tests.contracts.helpers import deploy_helper
from tests.zk.conftest import (
    ROWS,
    ZkRound,
    circuit_spec,
    claim_of,
    create_verified,
    forged_claim,
    prove_round,
)
from zk.keys import CircuitKeys

NOT_OURS = "its verifier is not the project's RoundVerifier"
UNTRUSTED = "its scores cannot be trusted"


def _look_alike(w3: Web3, account: LocalAccount, vk: bytes) -> Contract:
    return deploy_helper(w3, account, "LookAlikeVerifier", ROWS, vk)


def test_a_verified_model_reads_as_its_record_and_its_verifier_checks_out(
    repo: ModelRepositoryClient,
    dev_accounts: list[LocalAccount],
    verified_model: Callable[[], int],
    round_verifier: DeployedVerifier,
    initial: ZkRound,
    honest: ZkRound,
    zk_keys: CircuitKeys,
) -> None:
    model_id = verified_model()
    record = verification_of(repo, model_id)
    assert record is not None
    assert (record.verifier, record.commitment) == (
        round_verifier.round_verifier,
        initial.commitment,
    )
    assert (record.rows, record.vk_digest, record.rounds) == (ROWS, zk_keys.vk_digest, ())
    assert record.check.ok, record.check.message
    assert record.check.halo2 == round_verifier.halo2
    assert "the project's RoundVerifier" in record.check.message
    created = repo.w3.eth.get_transaction_receipt(HexStr(record.fixed_tx))
    assert created["blockNumber"] == record.fixed_block

    owner = dev_accounts[8]
    update = repo.with_account(owner).submit_update(model_id, Digest(keccak(b"u"))).value
    claim = claim_of(honest, zk_keys)
    sent = prove_round(repo, model_id, update, claim)
    after = verification_of(repo, model_id, gas=True)
    assert after is not None
    [proven] = after.rounds
    assert (proven.score, proven.weights, proven.tx_hash) == (
        claim.score,
        claim.new_weights,
        sent.tx_hash,
    )
    assert proven.proof_hash == keccak(claim.proof)
    assert proven.gas_used == sent.gas_used > 0


def test_an_unverified_model_has_no_record(
    repo: ModelRepositoryClient, new_model: Callable[..., int]
) -> None:
    assert verification_of(repo, new_model()) is None


def test_a_look_alike_verifier_fails_the_check(
    repo: ModelRepositoryClient,
    dev_accounts: list[LocalAccount],
    zk_keys: CircuitKeys,
    chain_now: Callable[[], int],
) -> None:
    fake = _look_alike(repo.w3, dev_accounts[0], zk_keys.vk_digest)
    model_id = create_verified(repo, fake.address, forged_claim(9_000), chain_now() + DAY)
    record = verification_of(repo, model_id)
    assert record is not None  # the contract took it: only the check tells owners
    assert (record.verifier, record.rows) == (fake.address, ROWS)
    assert not record.check.ok
    assert record.check.message == f"{NOT_OURS}: {UNTRUSTED}"

    send_call(repo.w3, dev_accounts[0], fake.functions.setBroken(True))
    broken = verification_of(repo, model_id)
    assert broken is not None
    assert not broken.check.ok
    assert "its verifier's rows() reverted" in broken.check.message
    assert broken.check.message.startswith(NOT_OURS)

    repo.w3.provider.make_request("anvil_setCode", [fake.address, "0x"])  # type: ignore[arg-type]
    repo.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    gone = verification_of(repo, model_id)
    assert gone is not None
    assert gone.check.message == f"its verifier {fake.address} has no code: {UNTRUSTED}"


def _round_verifier_around(w3: Web3, account: LocalAccount, halo2: str, vk: bytes) -> str:
    wrapper = load_artifact("RoundVerifier")
    factory = w3.eth.contract(abi=wrapper.abi, bytecode=wrapper.bytecode)
    receipt = send_call(w3, account, factory.constructor(halo2, vk, ROWS, 5, 2))
    return str(receipt["contractAddress"])


@pytest.mark.parametrize(
    ("claimed", "problem"),
    [
        pytest.param(
            lambda _v, a, vk: Claimed(a, ROWS, vk), "has no code: ", id="an address with no code"
        ),
        pytest.param(
            lambda v, _a, vk: Claimed(v, ROWS + 1, vk),
            f"its verifier answers rows() = {ROWS}, the model fixed n = {ROWS + 1}",
            id="other rows than the event",
        ),
        pytest.param(
            lambda v, _a, _vk: Claimed(v, ROWS, bytes(32)),
            "its verifier answers another vkDigest() than the model fixed",
            id="another vk digest than the event",
        ),
    ],
)
def test_hostile_verifiers_get_a_clear_message(
    repo: ModelRepositoryClient,
    dev_accounts: list[LocalAccount],
    round_verifier: DeployedVerifier,
    zk_keys: CircuitKeys,
    claimed: Callable[[str, str, bytes], Claimed],
    problem: str,
) -> None:
    nobody = dev_accounts[9].address
    check = check_verifier(
        repo.w3, claimed(round_verifier.round_verifier, nobody, zk_keys.vk_digest)
    )
    assert not check.ok
    assert problem in check.message
    assert check.message.endswith(UNTRUSTED)


def test_a_round_verifier_around_no_halo2_code_fails(
    repo: ModelRepositoryClient, dev_accounts: list[LocalAccount], zk_keys: CircuitKeys
) -> None:
    nobody = dev_accounts[9].address
    hollow = _round_verifier_around(repo.w3, dev_accounts[0], nobody, zk_keys.vk_digest)
    check = check_verifier(repo.w3, Claimed(hollow, ROWS, zk_keys.vk_digest))
    assert not check.ok
    assert f"the Halo2 verifier it wraps ({nobody}) has no code" in check.message


def test_the_code_match_masks_only_the_immutables() -> None:
    artifact = load_artifact("RoundVerifier")
    code = bytearray.fromhex(artifact.deployed_bytecode.removeprefix("0x"))
    [(start, length)] = dict(artifact.immutables)["_halo2"]
    code[start + length - 1] = 0xAB  # what a constructor writes: still ours
    match = match_runtime(bytes(code), artifact)
    assert match.matches
    assert match.word("_halo2") == bytes(31) + b"\xab"
    outside = min(s for _, spans in artifact.immutables for s, _ in spans) - 1
    code[outside] ^= 1
    assert not match_runtime(bytes(code), artifact).matches
    assert not match_runtime(bytes(code) + b"\x00", artifact).matches


def test_a_verifier_reading_no_data_commitment_lets_any_set_pass_and_fails_the_spec_check(
    repo: ModelRepositoryClient,
    dev_accounts: list[LocalAccount],
    round_verifier: DeployedVerifier,
    initial: ZkRound,
    other_data: ZkRound,
    zk_keys: CircuitKeys,
    chain_now: Callable[[], int],
) -> None:
    words, points = zk_keys.shape.word_count, zk_keys.shape.data_inputs
    wrapper = load_artifact("RoundVerifier")
    factory = repo.w3.eth.contract(abi=wrapper.abi, bytecode=wrapper.bytecode)
    call = factory.constructor(round_verifier.halo2, zk_keys.vk_digest, ROWS, words, 0)
    blind = str(send_call(repo.w3, dev_accounts[0], call)["contractAddress"])
    claim = claim_of(initial, zk_keys)
    model_id = create_verified(repo, blind, claim, chain_now() + DAY)
    digest = Digest(keccak(text=f"blind-{model_id}"))
    update_id = repo.with_account(dev_accounts[4]).submit_update(model_id, digest).value
    elsewhere = claim_of(other_data, zk_keys)  # a proof over another validation set
    share = 10_000 if elsewhere.score > claim.score else 0
    prove_round(repo, model_id, update_id, elsewhere, share=share)  # accepted: nothing compared
    record = verification_of(repo, model_id)
    assert record is not None
    assert record.check.ok  # its code is ours: only the spec tells
    checked = verification_of(repo, model_id, spec=circuit_spec())
    assert checked is not None
    assert not checked.check.ok
    assert checked.check.message == (
        f"its verifier reads {words} weight words and 0 committed data points, the model's "
        f"spec needs {words} and {points}: {UNTRUSTED}"
    )
    fair_id = create_verified(repo, round_verifier.round_verifier, claim, chain_now() + DAY)
    fair = verification_of(repo, fair_id, spec=circuit_spec())
    assert fair is not None
    assert fair.check.ok, fair.check.message
