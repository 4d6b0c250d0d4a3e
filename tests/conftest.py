"""Shared test fixtures: one real Anvil per session, ModelRepository deployed once, clients.

How to use them (every fixture talks to a real Anvil; nothing is mocked):

    def test_pays(repo, client_for, dev_accounts, new_model, make_digest):
        model_id = new_model(bounty_wei=10**18)               # lender: dev account 0 (= repo)
        owner = client_for(dev_accounts[1])
        update_id = owner.submit_update(model_id, make_digest()).value

Rules that keep one shared chain sane for everybody:
- Isolation comes from fresh models per test (`new_model`), not from a fresh chain.
- Deadlines are relative to the CHAIN's clock (`chain_now()`), never wall time: time on the session
  chain only moves forward (`advance_time`), and other tests advance it too. Models that must stay
  open for a whole module should get long deadlines (`duration=365 * 86400`).
- `chain_snapshot` (opt-in) reverts the whole chain, clock included, after one test. Do not use it
  while a module-scoped app keeps an event cache: the reverted blocks would vanish under it.
- `repo` signs as dev account 0. Give each app or process its own dev account index: two processes
  signing for one account race on nonces.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from fedlend.chain import anvil as anvil_dev
from fedlend.chain.accounts import dev_accounts as _dev_accounts
from fedlend.chain.anvil import AnvilProcess
from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.rpc import connect
from fedlend.chain.terms import ModelTerms
from fedlend.errors import ChainUnavailableError
from fedlend.settings import Settings
from fedlend.types import Digest
from tests.contracts.helpers import ContractKit

DAY = 86_400
HOUR = 3_600
# Fixtures every folder may use: the market (fresh contract, real loans, a posted bounty), the
# stores (embedded, js-ipfs) and the browser (Debian Chromium + a live server); registered here.
pytest_plugins = ("tests.market", "tests.stores", "tests.browser_helpers")


@pytest.fixture(scope="session")
def anvil() -> Iterator[AnvilProcess]:
    """A real Anvil on 127.0.0.1 and a free port (.rpc_url, .chain_id, .stop()); FAILS if absent."""
    try:
        node = AnvilProcess().start()
    except ChainUnavailableError as exc:
        pytest.fail(f"the test chain did not start: {exc}")
    yield node
    node.stop()


@pytest.fixture(scope="session")
def w3(anvil: AnvilProcess) -> Web3:
    """A Web3 connected to the session Anvil."""
    return connect(anvil.rpc_url)


@pytest.fixture(scope="session")
def dev_accounts() -> list[LocalAccount]:
    """Anvil's 10 dev accounts (10,000 ETH each at start), as signing LocalAccounts."""
    return _dev_accounts(10)


@pytest.fixture(scope="session")
def dev_keys(dev_accounts: list[LocalAccount]) -> list[str]:
    """The dev accounts' 0x-hex private keys (public test keys, e.g. for FEDLEND_PRIVATE_KEY)."""
    return [Web3.to_hex(account.key) for account in dev_accounts]


@pytest.fixture(scope="session")
def repo(w3: Web3, dev_accounts: list[LocalAccount]) -> ModelRepositoryClient:
    """ModelRepository deployed once per session; this client signs as dev account 0."""
    return ModelRepositoryClient.deploy(w3, dev_accounts[0])


@pytest.fixture(scope="session")
def deployed_address(repo: ModelRepositoryClient) -> str:
    """The session ModelRepository's checksummed address."""
    return repo.address


@pytest.fixture
def client_for(
    repo: ModelRepositoryClient,
) -> Callable[[LocalAccount | None], ModelRepositoryClient]:
    """client_for(account) -> a client on the session contract signing as `account` (None: read)."""
    return repo.with_account


@pytest.fixture(scope="session")
def chain_now(w3: Web3) -> Callable[[], int]:
    """chain_now() -> the latest block's timestamp: the clock deadlines are checked against."""

    def now() -> int:
        return int(w3.eth.get_block("latest")["timestamp"])

    return now


@pytest.fixture(scope="session")
def advance_time(w3: Web3, chain_now: Callable[[], int]) -> Callable[[int], int]:
    """advance_time(seconds) -> the new chain time, after mining a block that far ahead."""

    def advance(seconds: int) -> int:
        anvil_dev.advance_time(w3, seconds)
        return chain_now()

    return advance


@pytest.fixture
def chain_snapshot(w3: Web3) -> Iterator[str]:
    """Opt-in: snapshot the chain before the test and revert it (clock included) afterwards."""
    snapshot_id = anvil_dev.snapshot(w3)
    yield snapshot_id
    anvil_dev.revert_to(w3, snapshot_id)


@pytest.fixture
def make_digest() -> Callable[[], Digest]:
    """make_digest() -> 32 random bytes: a digest no other test has submitted."""
    return lambda: Digest(os.urandom(32))


@pytest.fixture
def new_model(
    repo: ModelRepositoryClient,
    chain_now: Callable[[], int],
    make_digest: Callable[[], Digest],
) -> Callable[..., int]:
    """new_model(lender=None, bounty_wei=10**18, initial=5000, target=8000, duration=DAY,
    review=HOUR) -> id.

    Creates a fresh open model (random weights/spec digests) with deadline chain_now() + duration
    and a review window of `review` seconds after it (the contract's minimum by default);
    `lender` is a LocalAccount (default: dev account 0, the `repo` client's account).
    """

    def create(
        lender: LocalAccount | None = None,
        *,
        bounty_wei: int = 10**18,
        initial: int = 5_000,
        target: int = 8_000,
        duration: int = DAY,
        review: int = HOUR,
    ) -> int:
        client = repo if lender is None else repo.with_account(lender)
        return client.create_model(
            ModelTerms(
                weights=make_digest(),
                spec=make_digest(),
                initial_score=initial,
                target_score=target,
                deadline=chain_now() + duration,
                bounty_wei=bounty_wei,
                review_period=review,
            )
        ).value

    return create


@pytest.fixture
def chain_settings(
    anvil: AnvilProcess, deployed_address: str, tmp_path: Path
) -> Callable[..., Settings]:
    """chain_settings(dev_account=1, **overrides) -> Settings on the session chain and contract.

    home is a fresh directory under tmp_path; the account is an Anvil dev account by index.
    """

    def make(dev_account: int | None = 1, **overrides: object) -> Settings:
        home = tmp_path / f"home-{dev_account}"
        values: dict[str, object] = {
            "home": home,
            "rpc_url": anvil.rpc_url,
            "contract_address": deployed_address,
            "dev_account": dev_account,
            **overrides,
        }
        return Settings(**values)  # type: ignore[arg-type]

    return make


@pytest.fixture
def kit(
    repo: ModelRepositoryClient,
    client_for: Callable[[LocalAccount | None], ModelRepositoryClient],
    dev_accounts: list[LocalAccount],
    new_model: Callable[..., int],
    make_digest: Callable[[], Digest],
    advance_time: Callable[[int], int],
    chain_now: Callable[[], int],
) -> ContractKit:
    """repo, client_for, dev_accounts, new_model, make_digest, advance_time, chain_now in one."""
    return ContractKit(
        repo, client_for, dev_accounts, new_model, make_digest, advance_time, chain_now
    )
