"""The typed client and event reader against the session Anvil: round trips, paging, failures."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.exceptions import ContractCustomError, ContractPanicError

from fedlend.chain.anvil import AnvilProcess, free_port
from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.events import (
    BountyReclaimed,
    EventReader,
    ModelCompleted,
    ModelCreated,
    RoundEvaluated,
    UpdateEvaluated,
    UpdateSubmitted,
    Withdrawn,
    block_pages,
)
from fedlend.chain.revert import RevertDecoder
from fedlend.chain.rpc import connect
from fedlend.chain.terms import ModelTerms
from fedlend.errors import ChainUnavailableError, ConfigError, TransactionFailedError
from fedlend.settings import Settings
from fedlend.types import Address, ModelStatus, UpdateRecord, UpdateStatus
from tests.contracts.helpers import ContractKit


def test_records_round_trip(kit: ContractKit) -> None:
    repo, make_digest = kit.repo, kit.digest
    weights, spec, deadline = make_digest(), make_digest(), kit.now() + 5000
    created = repo.create_model(
        ModelTerms(
            weights=weights,
            spec=spec,
            initial_score=4321,
            target_score=8765,
            deadline=deadline,
            bounty_wei=4444,
        )
    )
    model_id = created.value
    assert model_id == repo.model_count()
    assert created.gas_used > 21_000
    assert created.fee_wei > 0
    assert created.tx_hash.startswith("0x")
    model = repo.get_model(model_id)
    assert (model.model_id, model.lender, model.weights, model.spec) == (
        model_id,
        repo.account_address,
        weights,
        spec,
    )
    assert (model.bounty_wei, model.remaining_wei, model.deadline) == (4444, 4444, deadline)
    assert (model.initial_score, model.target_score, model.best_score) == (4321, 8765, 4321)
    assert (model.status, model.update_count, model.is_open) == (ModelStatus.OPEN, 0, True)
    assert (model.review_period, model.pending_count, model.window_closed) == (7 * 86400, 0, False)
    assert model.review_ends == deadline + 7 * 86400

    owner = kit.client_for(kit.accounts[1])
    digest = make_digest()
    submitted = owner.submit_update(model_id, digest)
    update = owner.get_update(submitted.value)
    block_time = int(repo.w3.eth.get_block(submitted.block_number)["timestamp"])
    assert update == UpdateRecord(
        update_id=submitted.value,
        model_id=model_id,
        submitter=owner.account_address,  # type: ignore[arg-type]
        digest=digest,
        submitted_at=block_time,
        status=UpdateStatus.PENDING,
        score=0,  # type: ignore[arg-type]
        reward_wei=0,  # type: ignore[arg-type]
    )
    evaluated = repo.evaluate_update(submitted.value, score=5000, new_weights=make_digest()).value
    assert evaluated.reward_wei == 679  # 4444 * (5000 - 4321) / (8765 - 4321)
    assert repo.get_update(submitted.value) == evaluated  # reward read back from the event
    assert repo.get_model(model_id).update_count == 1
    assert repo.updates_of_model(model_id) == [evaluated]
    assert repo.models()[model_id - 1] == repo.get_model(model_id)


def test_events_rebuild_the_history_page_by_page(kit: ContractKit) -> None:
    repo, make_digest = kit.repo, kit.digest
    start = repo.w3.eth.block_number + 1
    owner = kit.client_for(kit.accounts[2])
    model_id = kit.new_model(bounty_wei=1000, initial=0, target=100, duration=200)
    first = owner.submit_update(model_id, make_digest()).value
    second = owner.submit_update(model_id, make_digest()).value
    repo.evaluate_update(first, score=40, new_weights=make_digest())
    repo.evaluate_update(second, score=100, new_weights=make_digest())
    kit.advance_time(201)
    repo.reclaim(model_id)  # completed with nothing pending: no review window to wait for
    owner.withdraw()
    end = repo.w3.eth.block_number
    assert end - start >= 7  # one block per transaction, plus the mined time jump

    one_block_pages = repo.event_reader(page_size=1).fetch(from_block=start, to_block=end)
    one_page = repo.event_reader(page_size=10_000).fetch(from_block=start, to_block=end)
    assert one_block_pages == one_page
    mine = [e for e in one_page if getattr(e, "model_id", None) == model_id]
    assert [type(e) for e in mine] == [
        ModelCreated,
        UpdateSubmitted,
        UpdateSubmitted,
        UpdateEvaluated,
        RoundEvaluated,
        UpdateEvaluated,
        RoundEvaluated,
        ModelCompleted,
        BountyReclaimed,
    ]
    assert [e.reward_wei for e in mine if isinstance(e, UpdateEvaluated)] == [400, 600]
    assert isinstance(one_page[-1], Withdrawn)
    assert one_page[-1].amount_wei >= 1000
    by_model = repo.event_reader(page_size=3).fetch(model_id=model_id, from_block=start)
    assert by_model == mine
    by_update = repo.events(update_id=second)
    assert [type(e) for e in by_update] == [UpdateSubmitted, UpdateEvaluated]


def test_event_cursor_returns_only_new_events(
    repo: ModelRepositoryClient, new_model: Callable[..., int]
) -> None:
    cursor = repo.event_cursor(next_block=repo.w3.eth.block_number + 1)
    assert cursor.poll() == []
    model_id = new_model()
    [created] = cursor.poll()
    assert isinstance(created, ModelCreated)
    assert created.model_id == model_id
    assert cursor.poll() == []


@pytest.mark.parametrize(
    ("first", "last", "size", "pages"),
    [
        (0, 0, 5, [(0, 0)]),
        (0, 9, 5, [(0, 4), (5, 9)]),
        (3, 10, 4, [(3, 6), (7, 10)]),
        (5, 4, 2, []),
        (1, 5, 1, [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]),
    ],
)
def test_block_pages(first: int, last: int, size: int, pages: list[tuple[int, int]]) -> None:
    assert list(block_pages(first, last, size)) == pages


def test_event_reader_refuses_bad_arguments(repo: ModelRepositoryClient) -> None:
    with pytest.raises(ValueError, match="page_size"):
        EventReader(repo.w3, repo.address, repo.artifact.abi, page_size=0)
    with pytest.raises(ValueError, match="unknown event names"):
        repo.events(names=["Nope"])


def test_connect_from_settings(
    chain_settings: Callable[..., Settings], dev_accounts: list[LocalAccount]
) -> None:
    client = ModelRepositoryClient.connect(chain_settings(dev_account=3))
    assert client.account_address == Address(dev_accounts[3].address)
    assert client.chain_id == 31337
    reader = ModelRepositoryClient.connect(chain_settings(dev_account=None))
    assert reader.account_address is None
    with pytest.raises(ConfigError, match="read-only"):
        reader.withdraw()
    with pytest.raises(ConfigError, match=r"owed\(\) of whom"):
        reader.owed()


def test_connect_to_an_address_without_code(chain_settings: Callable[..., Settings]) -> None:
    settings = chain_settings(contract_address="0x" + "12" * 20)
    with pytest.raises(ConfigError, match=r"no contract at .* run `fedlend deploy`"):
        ModelRepositoryClient.connect(settings)


def test_unreachable_chain() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ChainUnavailableError, match="fedlend chain"):
        connect(url, timeout=2)


def test_chain_going_away_mid_session(dev_accounts: list[LocalAccount]) -> None:
    with AnvilProcess() as node:
        client = ModelRepositoryClient.deploy(connect(node.rpc_url), dev_accounts[0])
        assert client.model_count() == 0
    with pytest.raises(ChainUnavailableError, match="cannot reach"):
        client.model_count()
    with pytest.raises(ChainUnavailableError, match="cannot reach"):
        client.withdraw()


@pytest.mark.parametrize("digest", [b"", b"\x01" * 31, b"\x01" * 33, "ab" * 32])
def test_digests_must_be_32_bytes(repo: ModelRepositoryClient, digest: object) -> None:
    with pytest.raises(ValueError, match="32 raw bytes"):
        repo.submit_update(1, digest)  # type: ignore[arg-type]


def test_an_account_without_ether_is_told_to_fund_it(kit: ContractKit) -> None:
    poor = kit.repo.with_account(Account.create())
    with pytest.raises(TransactionFailedError, match="cannot pay value \\+ gas: fund it"):
        poor.create_model(
            ModelTerms(
                weights=kit.digest(),
                spec=kit.digest(),
                initial_score=1,
                target_score=2,
                deadline=kit.now() + 600,
                bounty_wei=1,
            )
        )


def test_reverts_without_a_known_custom_error(repo: ModelRepositoryClient) -> None:
    decoder = RevertDecoder(repo.artifact.abi)
    panic = ContractPanicError(
        "Panic error 0x11: Arithmetic underflow", data="0x4e487b71" + "11".zfill(64)
    )
    assert decoder.to_error(panic).error_name == "Panic"
    unknown = ContractCustomError("0xdeadbeef", data="0xdeadbeef")
    error = decoder.to_error(unknown)
    assert (error.error_name, error.error_args) == ("Revert", ())
    assert decoder.decode("0xdeadbeef") is None
