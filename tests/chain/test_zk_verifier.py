"""A circuit's verifier contracts: a Halo2Verifier deployed before its RoundVerifier is reused."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from fedlend.chain.zk_verifier import deploy_round_verifier
from tests.zk.conftest import CACHE, circuit_shape
from zk.keys import CircuitKeys, circuit_keys
from zk.srs import SrsConfig

POINTS = 2  # any count will do: these verifiers are deployed, never asked to check a proof


@dataclass
class Memory:
    """The registry's Halo2Verifier note, in memory (fedlend/services/verifiers.py keeps it in
    the lender's verifiers.json)."""

    address: str | None = None

    def recall(self) -> str | None:
        """The noted address."""
        return self.address

    def keep(self, address: str) -> None:
        """Note an address."""
        self.address = address


@pytest.fixture(scope="module")
def keys() -> CircuitKeys:
    """The zk tests' circuit (64 x 4), from build/zk-cache."""
    return circuit_keys(circuit_shape(), SrsConfig(31337), CACHE)


def test_a_halo2_verifier_deployed_before_is_reused_only_if_its_code_is_the_circuits(
    w3: Web3, dev_accounts: list[LocalAccount], keys: CircuitKeys
) -> None:
    memory = Memory()
    first = deploy_round_verifier(w3, dev_accounts[5], keys, data_points=POINTS, halo2_known=memory)
    assert memory.address == first.halo2
    # the second signature was rejected: the RoundVerifier is deployed again, the Halo2 not
    again = deploy_round_verifier(w3, dev_accounts[5], keys, data_points=POINTS, halo2_known=memory)
    assert again.halo2 == first.halo2
    assert again.round_verifier != first.round_verifier
    assert 0 < again.deploy_gas < first.deploy_gas / 2  # only the small wrapper was paid for
    for other in (first.round_verifier, "0x" + "22" * 20, "garbage"):  # other code, none, junk
        memory.address = other
        fresh = deploy_round_verifier(
            w3, dev_accounts[5], keys, data_points=POINTS, halo2_known=memory
        )
        assert fresh.halo2 not in (first.halo2, other)
        assert fresh.deploy_gas > again.deploy_gas
        assert memory.address == fresh.halo2
