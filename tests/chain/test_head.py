"""Page scopes read one chain head; their memory goes on a new head, a send or a revert."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from fedlend.chain import anvil as anvil_dev
from fedlend.chain import head
from fedlend.chain.client import ModelRepositoryClient
from fedlend.types import Digest


def _fresh(repo: ModelRepositoryClient, account: LocalAccount | None) -> ModelRepositoryClient:
    """A client with its own memory (as each app has its own)."""
    return ModelRepositoryClient(repo.w3, repo.address, account)


@pytest.fixture
def model_id(new_model: Callable[..., int]) -> int:
    """A fresh open model with no updates."""
    return new_model()


def test_a_scope_reads_one_head_and_a_new_block_is_seen_by_the_next_page(
    repo: ModelRepositoryClient, dev_accounts: list[LocalAccount], model_id: int
) -> None:
    page, other = _fresh(repo, None), _fresh(repo, dev_accounts[4])
    with head.one_head():
        assert page.get_model(model_id).pending_count == 0
        digest = Digest(os.urandom(32))
        elsewhere = threading.Thread(target=other.submit_update, args=(model_id, digest))
        elsewhere.start()  # another page or process mines a block meanwhile
        elsewhere.join()
        assert page.get_model(model_id).pending_count == 0  # this page still reads its head
        assert page.chain_time() == page.chain_time()
    with head.one_head():  # the next page sees the new head, not the remembered value
        assert page.get_model(model_id).pending_count == 1
    assert page.get_model(model_id).pending_count == 1  # outside a page nothing is remembered


def test_a_send_in_a_page_forgets_what_the_page_read(
    repo: ModelRepositoryClient, dev_accounts: list[LocalAccount], model_id: int
) -> None:
    owner = _fresh(repo, dev_accounts[5])
    with head.one_head():
        before = owner.get_model(model_id)
        balance = owner.balance_of()
        owner.submit_update(model_id, Digest(os.urandom(32)))
        assert owner.get_model(model_id).pending_count == before.pending_count + 1
        assert owner.balance_of() < balance  # the gas is seen: the balance was read again


def test_a_reverted_or_changed_chain_is_never_served_from_memory(
    repo: ModelRepositoryClient,
    w3: Web3,
    dev_accounts: list[LocalAccount],
) -> None:
    account = dev_accounts[6]
    page = _fresh(repo, None)
    with head.one_head():
        start = page.balance_of(account.address)
    snapshot = anvil_dev.snapshot(w3)
    anvil_dev.set_balance(w3, account.address, start + 12345)
    with head.one_head():  # no block was mined: the page's head is unchanged
        assert page.balance_of(account.address) == start
    anvil_dev.dev_rpc(w3, "evm_mine", [])
    with head.one_head():  # a new head: read again, to the wei
        assert page.balance_of(account.address) == start + 12345
    anvil_dev.revert_to(w3, snapshot)
    with head.one_head():  # back to an older head (a reorg or a restored chain): read again
        assert page.balance_of(account.address) == start


def test_the_head_memory_keeps_one_head_and_is_bounded() -> None:
    memo = head.HeadMemo(limit=2)
    computed: list[str] = []

    def compute(value: str) -> Callable[[], str]:
        def run() -> str:
            computed.append(value)
            return value

        return run

    assert memo.get(b"a", 1, compute("x")) == "x"
    assert memo.get(b"a", 1, compute("y")) == "x"  # remembered at head a
    assert memo.get(b"b", 1, compute("z")) == "z"  # head b: head a's values are gone
    assert memo.get(b"a", 1, compute("w")) == "w"  # and a again starts afresh
    for key in range(2, 6):
        memo.get(b"a", key, compute(str(key)))
    assert memo.get(b"a", 5, compute("again")) == "again"  # past the limit: not kept
    assert computed == ["x", "z", "w", "2", "3", "4", "5", "again"]


def test_scopes_belong_to_one_thread_and_nest() -> None:
    assert not head.active()
    with head.one_head():
        assert head.remembered("k", lambda: 1) == 1
        assert head.remembered("k", lambda: 2) == 1
        with head.one_head():
            assert head.remembered("k", lambda: 3) == 3
        assert head.remembered("k", lambda: 4) == 1  # the outer page's memory is back
        head.forget()
        assert head.remembered("k", lambda: 5) == 5
    assert not head.active()
    assert head.remembered("k", lambda: 6) == 6
