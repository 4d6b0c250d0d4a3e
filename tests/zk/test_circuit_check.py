"""The circuit check: a verified model's Halo2 verifier rebuilt from its spec and compared."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.compile import load_artifact
from fedlend.chain.rpc import send_call
from fedlend.services.circuit_check import check_circuit
from fedlend.services.verified import verified_metadata
from fedlend.types import Digest
from fl.spec import Feature, ModelSpec
from tests.conftest import DAY
from tests.contracts.helpers import deploy_helper
from tests.zk.conftest import (
    BOUNTY,
    CACHE,
    ROWS,
    Claim,
    ZkRound,
    circuit_spec,
    claim_of,
    create_verified,
    prove_round,
)
from zk.fixed import FixedPoint
from zk.keys import CircuitKeys
from zk.outputs import score_bps
from zk.srs import SrsConfig

LOCAL = SrsConfig(31337)


def _spec() -> ModelSpec:
    """The tests' circuit's spec, as a verified model's."""
    return replace(circuit_spec(), metadata=verified_metadata(FixedPoint()))


def _around(
    repo: ModelRepositoryClient, account: LocalAccount, halo2: str, keys: CircuitKeys
) -> str:
    wrapper = load_artifact("RoundVerifier")
    factory = repo.w3.eth.contract(abi=wrapper.abi, bytecode=wrapper.bytecode)
    shape = keys.shape
    call = factory.constructor(halo2, keys.vk_digest, ROWS, shape.word_count, shape.data_inputs)
    return str(send_call(repo.w3, account, call)["contractAddress"])


def test_the_honest_verifier_is_the_spec_s_own_circuit(
    repo: ModelRepositoryClient, verified_model: Callable[[], int]
) -> None:
    messages: list[str] = []
    check = check_circuit(
        repo, verified_model(), _spec(), LOCAL, CACHE, lambda _f, m: messages.append(m)
    )
    assert check is not None
    assert check.ok, check.message
    assert "is the spec's own circuit: rebuilt here (64 rows x 7, 2^12 rows)" in check.message
    assert messages[-1] == "circuit checked"


def test_an_accept_all_halo2_passes_the_verifier_check_but_not_the_circuit_check(
    repo: ModelRepositoryClient,
    dev_accounts: list[LocalAccount],
    initial: ZkRound,
    zk_keys: CircuitKeys,
    chain_now: Callable[[], int],
) -> None:
    fake = deploy_helper(repo.w3, dev_accounts[0], "AcceptAllHalo2")
    verifier = _around(repo, dev_accounts[0], fake.address, zk_keys)
    claim = claim_of(initial, zk_keys)
    model_id = create_verified(repo, verifier, claim, chain_now() + DAY)
    update_id = (
        repo.with_account(dev_accounts[4]).submit_update(model_id, Digest(keccak(b"x"))).value
    )
    outputs = initial.proof.outputs(zk_keys)
    p, n = outputs.positives, ROWS
    best = replace(outputs, rank_sum=p * (p + 1) + 2 * p * (n - p))  # AUC 1: every default first
    head = zk_keys.shape.data_inputs * 64  # the committed data's points, kept: the same set
    forged = Claim(
        score=score_bps(best, n),
        new_weights=claim.new_weights,
        proof=claim.proof[:head] + bytes(len(claim.proof) - head),  # no proof at all
        instances=tuple(best.instances()),
    )
    paid = prove_round(repo, model_id, update_id, forged).value.payout_wei
    assert paid == BOUNTY  # "proven" to reach the target: the whole bounty
    check = check_circuit(repo, model_id, _spec(), LOCAL, CACHE)
    assert check is not None
    assert not check.ok
    assert f"the Halo2 verifier at {fake.address} is not the one compiled" in check.message


def test_a_spec_whose_circuit_is_not_the_verifier_s_is_named(
    repo: ModelRepositoryClient, verified_model: Callable[[], int]
) -> None:
    wider = replace(_spec(), features=(*_spec().features, Feature("revol_util", "numeric")))
    check = check_circuit(repo, verified_model(), wider, LOCAL, CACHE)
    assert check is not None
    assert not check.ok
    assert check.message.startswith("the circuit rebuilt from the spec (64 rows x 8) has ")
    assert "either the verifier is not for this spec's circuit" in check.message
