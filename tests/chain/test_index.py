"""The client's incremental event index: new blocks are read, a reorg or rollback is noticed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from fedlend.chain import anvil as anvil_dev
from fedlend.chain.client import ModelRepositoryClient
from fedlend.types import Digest


@pytest.fixture
def owner(
    client_for: Callable[[LocalAccount | None], ModelRepositoryClient],
    dev_accounts: list[LocalAccount],
) -> ModelRepositoryClient:
    """A fresh client (its own, empty index) signing as dev account 3."""
    return client_for(dev_accounts[3])


def test_new_blocks_are_read_incrementally(
    owner: ModelRepositoryClient, new_model: Callable[..., int], make_digest: Callable[[], Digest]
) -> None:
    model_id = new_model()
    assert owner.get_model(model_id).update_count == 0
    digests = [make_digest() for _ in range(3)]
    for n, digest in enumerate(digests, start=1):
        owner.submit_update(model_id, digest)
        assert owner.get_model(model_id).update_count == n
        assert owner.models()[model_id - 1].update_count == n
    mine = [
        r.digest for r in owner.updates_by(owner.account_address or "") if r.model_id == model_id
    ]
    assert mine == digests
    assert owner.index.resets == 0


@pytest.mark.parametrize("replace", [True, False], ids=["reorg", "rollback"])
def test_a_reorg_or_rollback_is_read_afresh(
    w3: Web3,
    owner: ModelRepositoryClient,
    new_model: Callable[..., int],
    make_digest: Callable[[], Digest],
    replace: bool,
) -> None:
    model_id = new_model()
    kept = make_digest()
    owner.submit_update(model_id, kept)
    snapshot_id = anvil_dev.snapshot(w3)
    lost = [make_digest(), make_digest()]
    for digest in lost:
        owner.submit_update(model_id, digest)
    assert owner.get_model(model_id).update_count == 3
    anvil_dev.revert_to(w3, snapshot_id)  # the two blocks are gone (as in a restart without state)
    expected = [kept]
    if replace:  # a different block at the same height: only its hash tells them apart
        replacement = make_digest()
        owner.submit_update(model_id, replacement)
        expected.append(replacement)
    assert owner.get_model(model_id).update_count == len(expected)
    assert [r.digest for r in owner.updates_of_model(model_id)] == expected
    assert owner.index.resets == 1
