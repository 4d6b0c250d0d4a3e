"""Fixtures for the zk tests: a small real circuit (64 loans x 4 numeric features and a
categorical one), keys cached on disk.

Setup and the two session proofs take seconds; the keys live under build/zk-cache (a circuit
digest names each), so a second run skips setup. The SRS is the insecure local kind (chain 31337).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from eth_account.signers.local import LocalAccount
from sklearn.linear_model import LogisticRegression
from web3 import Web3

from fedlend.chain.client import ModelRepositoryClient, RoundReceipt
from fedlend.chain.rpc import Sent
from fedlend.chain.terms import ModelTerms, ProofClaim
from fedlend.chain.zk_verifier import DeployedVerifier, deploy_round_verifier
from fedlend.services.verified import one_hot_groups
from fedlend.settings import SHIPPED_LOANS
from fedlend.types import Digest
from fl.data import load_loans
from fl.features import SpecOptions, build_spec, encode
from fl.spec import ModelSpec
from tests.conftest import DAY
from zk.fixed import FixedPoint, ValidationSet, encode_set, encode_weights
from zk.keys import CircuitKeys, circuit_keys
from zk.outputs import weights_digest
from zk.prover import Proof, commitment_digest, commitment_points, prove
from zk.shape import CircuitShape
from zk.srs import SrsConfig

ROWS = 64
COLUMNS = ("int_rate", "dti", "annual_inc", "fico_range_low", "verification_status")
CACHE = Path(__file__).resolve().parents[2] / "build" / "zk-cache"


@dataclass(frozen=True)
class ZkRound:
    """A validation set, weights proven on it, the proof and the set's commitment points."""

    data: ValidationSet
    weights: np.ndarray
    proof: Proof
    points: bytes

    @property
    def commitment(self) -> bytes:
        """The digest a verified model fixes on-chain."""
        return commitment_digest(self.points)


@functools.cache
def circuit_spec() -> ModelSpec:
    """The spec of the test circuit's columns (four numeric, one categorical of three values)."""
    return build_spec(_shuffled(), SpecOptions(features=COLUMNS))


def circuit_shape() -> CircuitShape:
    """The tests' circuit: ROWS loans of the spec's columns, its one-hot block looked up."""
    spec = circuit_spec()
    return CircuitShape(ROWS, spec.n_inputs, one_hot_groups(spec), 1 << FixedPoint().feature_bits)


@functools.cache
def _shuffled() -> pd.DataFrame:
    return load_loans(SHIPPED_LOANS).sample(frac=1.0, random_state=11)


def _real_rows(start: int, fixed: FixedPoint) -> ValidationSet:
    encoded = encode(circuit_spec(), _shuffled().iloc[start : start + ROWS])
    assert encoded.y is not None
    groups = one_hot_groups(circuit_spec())
    return encode_set(encoded.X.astype(np.float64), encoded.y, fixed, groups=groups)


@pytest.fixture(scope="session")
def fixed() -> FixedPoint:
    """The fixed-point encoding of the test circuit."""
    return FixedPoint()


@pytest.fixture(scope="session")
def zk_sets(fixed: FixedPoint) -> tuple[ValidationSet, ValidationSet]:
    """The lender's salted validation set and another one (other loans) of the same shape."""
    return _real_rows(0, fixed), _real_rows(ROWS, fixed)


@pytest.fixture(scope="session")
def zk_keys(zk_sets: tuple[ValidationSet, ValidationSet]) -> CircuitKeys:
    """The circuit's settings and keys (set up once, then read from build/zk-cache)."""
    return circuit_keys(zk_sets[0].shape, SrsConfig(chain_id=31337), CACHE)


@pytest.fixture(scope="session")
def zk_weights(zk_sets: tuple[ValidationSet, ValidationSet], fixed: FixedPoint) -> np.ndarray:
    """A logistic regression fitted on the other loans, as the circuit's integers."""
    other = zk_sets[1]
    features = other.x[:, :-1] / (1 << fixed.feature_bits)
    fit = LogisticRegression().fit(features, other.y)
    return encode_weights(fit.coef_.ravel(), float(fit.intercept_[0]), fixed)


def _round(data: ValidationSet, weights: np.ndarray, keys: CircuitKeys) -> ZkRound:
    proof = prove(data, weights, keys)
    return ZkRound(data, weights, proof, commitment_points(data, weights, keys))


@pytest.fixture(scope="session")
def proven_pair(
    zk_sets: tuple[ValidationSet, ValidationSet], zk_weights: np.ndarray, zk_keys: CircuitKeys
) -> tuple[ZkRound, ZkRound]:
    """Proofs on the lender's set of the fitted weights and of their negation, lower AUC first."""
    pair = [_round(zk_sets[0], w, zk_keys) for w in (zk_weights, -zk_weights)]
    low, high = sorted(pair, key=lambda r: r.proof.score(zk_keys))
    assert low.proof.score(zk_keys) < high.proof.score(zk_keys)
    return low, high


@pytest.fixture(scope="session")
def initial(proven_pair: tuple[ZkRound, ZkRound]) -> ZkRound:
    """The proof of a verified model's initial weights (the lower AUC of the pair)."""
    return proven_pair[0]


@pytest.fixture(scope="session")
def honest(proven_pair: tuple[ZkRound, ZkRound]) -> ZkRound:
    """An honest proof of a round's better weights on the lender's set."""
    return proven_pair[1]


@pytest.fixture(scope="session")
def other_data(
    zk_sets: tuple[ValidationSet, ValidationSet], zk_weights: np.ndarray, zk_keys: CircuitKeys
) -> ZkRound:
    """A proof of the same weights over other data (so another commitment)."""
    return _round(zk_sets[1], zk_weights, zk_keys)


@pytest.fixture(scope="session")
def round_verifier(
    w3: Web3, dev_accounts: list[LocalAccount], zk_keys: CircuitKeys, honest: ZkRound
) -> DeployedVerifier:
    """The circuit's Halo2Verifier and RoundVerifier, deployed on the session Anvil."""
    points = len(honest.points) // 64
    return deploy_round_verifier(w3, dev_accounts[0], zk_keys, data_points=points)


BOUNTY = 10**18
TARGET = 10_000


@dataclass(frozen=True)
class Claim:
    """What the lender sends for a verified round."""

    score: int
    new_weights: bytes
    proof: bytes
    instances: tuple[int, ...]


def claim_of(proven: ZkRound, keys: CircuitKeys) -> Claim:
    """The score, weights digest, proof and public outputs a lender sends for `proven`."""
    outputs = proven.proof.outputs(keys)
    return Claim(
        score=proven.proof.score(keys),
        new_weights=weights_digest(outputs.weights),
        proof=proven.proof.data,
        instances=proven.proof.instances,
    )


def create_verified(
    repo: ModelRepositoryClient,
    verifier: str,
    claim: Claim,
    deadline: int,
    *,
    spec: Digest | None = None,
) -> int:
    """Post a verified model of BOUNTY wei whose initial score `claim` proves; its id."""
    terms = ModelTerms(
        weights=Digest(claim.new_weights),
        spec=spec or Digest(hashlib.sha256(b"spec").digest()),
        initial_score=claim.score,
        target_score=TARGET,
        deadline=deadline,
        bounty_wei=BOUNTY,
    )
    return repo.create_verified_model(
        terms, verifier, ProofClaim(claim.proof, tuple(claim.instances))
    ).value


def prove_round(
    repo: ModelRepositoryClient, model_id: int, update_id: int, claim: Claim, share: int = 10_000
) -> Sent[RoundReceipt]:
    """Judge one update in a verified round that `claim` proves."""
    return repo.evaluate_verified_round(
        model_id,
        [update_id],
        [share],
        score=claim.score,
        new_weights=Digest(claim.new_weights),
        claim=ProofClaim(claim.proof, tuple(claim.instances)),
    )


def forged_claim(score: int) -> Claim:
    """What a LookAlikeVerifier calls proven: any proof bytes, `score` as the last output."""
    words = (5, 7)
    packed = b"".join(w.to_bytes(32, "big") for w in words)
    return Claim(score, hashlib.sha256(packed).digest(), b"no proof at all", (*words, score))


@pytest.fixture
def verified_model(
    repo: ModelRepositoryClient,
    round_verifier: DeployedVerifier,
    initial: ZkRound,
    zk_keys: CircuitKeys,
    chain_now: Callable[[], int],
) -> Callable[[], int]:
    """verified_model() -> id of a fresh verified model, its initial score proven by `initial`."""
    claim = claim_of(initial, zk_keys)
    return lambda: create_verified(repo, round_verifier.round_verifier, claim, chain_now() + DAY)
