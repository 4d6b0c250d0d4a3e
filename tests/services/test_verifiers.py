"""A circuit's verifier is deployed once per chain, repository and circuit, and re-checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from web3 import Web3

from fedlend.errors import ProofError
from fedlend.services.lender import LenderService
from fedlend.services.verifiers import REGISTRY, round_verifier
from tests.market import Market
from tests.zk.conftest import CACHE, circuit_shape
from zk.keys import CircuitKeys, circuit_keys
from zk.srs import SrsConfig

POINTS = circuit_shape().data_inputs  # X, the blocks' indices, y: what a proof commits to


@pytest.fixture(scope="module")
def keys() -> CircuitKeys:
    """The zk tests' circuit (64 x 4), from build/zk-cache."""
    return circuit_keys(circuit_shape(), SrsConfig(31337), CACHE)


def _registry(lender: LenderService) -> Path:
    return lender.state / REGISTRY


def test_a_verifier_is_reused_and_a_stale_address_redeployed(
    market: Market, zk_lender: LenderService, keys: CircuitKeys
) -> None:
    node = zk_lender.node
    first = round_verifier(node, keys, zk_lender.state, data_points=lambda: POINTS)
    again = round_verifier(node, keys, zk_lender.state, data_points=lambda: POINTS)
    assert again.address == first.address
    assert again.deploy_gas == 0
    known = json.loads(_registry(zk_lender).read_text())
    assert not [k for k in known if k.startswith("halo2:")]  # the note goes once both exist
    [key] = [k for k, v in known.items() if v == first.address]
    for stale in (market.contract, "0x" + "11" * 20, "not an address", 7):
        known[key] = stale  # another contract, an empty account, garbage
        _registry(zk_lender).write_text(json.dumps(known))
        fresh = round_verifier(node, keys, zk_lender.state, data_points=lambda: POINTS)
        assert fresh.deploy_gas > 0, stale
        assert node.client.w3.eth.get_code(Web3.to_checksum_address(fresh.address))
        assert json.loads(_registry(zk_lender).read_text())[key] == fresh.address
    assert _registry(zk_lender).stat().st_mode & 0o077 == 0  # private state


@pytest.mark.parametrize("content", [b"[1, 2]", b"{not json", b"{" * 5000])
def test_a_damaged_registry_is_refused_with_what_to_do(
    zk_lender: LenderService, keys: CircuitKeys, content: bytes
) -> None:
    _registry(zk_lender).write_bytes(content)
    try:
        with pytest.raises(ProofError, match=r"delete it|not valid JSON|nests"):
            round_verifier(zk_lender.node, keys, zk_lender.state, data_points=lambda: POINTS)
    finally:
        _registry(zk_lender).unlink()


def test_a_registered_verifier_reading_other_data_points_is_not_reused(
    zk_lender: LenderService, keys: CircuitKeys, tmp_path: Path
) -> None:
    node, state = zk_lender.node, tmp_path
    blind = round_verifier(node, keys, state, data_points=lambda: 0)  # its commitment is empty
    fixed = round_verifier(node, keys, state, data_points=lambda: POINTS)
    assert fixed.address != blind.address
    assert fixed.deploy_gas > 0
    again = round_verifier(node, keys, state, data_points=lambda: POINTS)
    assert (again.address, again.deploy_gas) == (fixed.address, 0)
