"""Fixtures for service, app and end-to-end tests: a fresh contract, real loans, a posted bounty.

tests/conftest.py registers them for every folder (`pytest_plugins`); import only the types.
Each test module gets its own ModelRepository (so listings hold only that module's models) on the
session Anvil, and one shared home (embedded content store + each account's local state).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from web3 import Web3

from fedlend.chain.accounts import dev_account
from fedlend.chain.anvil import AnvilProcess
from fedlend.chain.client import ModelRepositoryClient
from fedlend.services.bounty_terms import BountyTerms
from fedlend.services.lender import LenderService, PostedModel
from fedlend.services.node import Node, open_node
from fedlend.services.owner import OwnerService
from fedlend.settings import SHIPPED_LOANS, Settings
from fl.data import load_loans

__all__ = [
    "LoanCsvs",
    "Market",
    "PostBounty",
    "loan_csvs",
    "market",
    "narrow_csv",
    "posted",
    "small_lender_csv",
]
DAY = 86_400
LoanCsvs = dict[str, bytes]  # the `loan_csvs` fixture: "lender", "owner1".. -> CSV bytes
PostBounty = Callable[..., PostedModel]  # the `posted` fixture: posted(target=.., ...) -> a bounty


@dataclass(frozen=True)
class Market:
    """One fresh contract and a home directory shared by every role in a test module."""

    rpc_url: str
    contract: str
    home: Path

    def settings(self, dev_index: int) -> Settings:
        """Settings signing with Anvil dev account `dev_index` (0 = lender by convention)."""
        return Settings(
            home=self.home,
            rpc_url=self.rpc_url,
            contract_address=self.contract,
            dev_account=dev_index,
        )

    def node(self, dev_index: int) -> Node:
        """A connected node for that dev account."""
        return open_node(self.settings(dev_index))

    def lender(self, dev_index: int = 0) -> LenderService:
        """The lender service for a dev account."""
        return LenderService(self.node(dev_index))

    def owner(self, dev_index: int = 1) -> OwnerService:
        """An owner service for a dev account."""
        return OwnerService(self.node(dev_index))


@pytest.fixture(scope="session")
def loan_csvs() -> dict[str, bytes]:
    """Real shipped loans as CSV bytes: 'lender' (1,600 rows), 'owner1'/'owner2' (2,000 each)."""
    frame = load_loans(SHIPPED_LOANS).sample(frac=1.0, random_state=7)
    parts = {
        "lender": frame.iloc[:1600],
        "owner1": frame.iloc[1600:3600],
        "owner2": frame.iloc[3600:5600],
    }
    return {name: _csv(part) for name, part in parts.items()}


@pytest.fixture(scope="session")
def small_lender_csv() -> bytes:
    """64 real loans (none in the loan_csvs parts): a verified model's validation set that fits
    the zk tests' 64-row circuit (build/zk-cache)."""
    frame = load_loans(SHIPPED_LOANS).sample(frac=1.0, random_state=7)
    return _csv(frame.iloc[5600:5664])


@pytest.fixture(scope="session")
def narrow_csv(small_lender_csv: bytes) -> bytes:
    """The 64 small-test loans with only the four test features: the 64 x 4 test circuit."""
    from fl.data import POLICY_COLUMN, REFERENCE_DATE, TARGET
    from tests.zk.conftest import COLUMNS  # imported here: the zk fixtures load EZKL

    frame: pd.DataFrame = load_loans(small_lender_csv)
    return frame[[*COLUMNS, TARGET, POLICY_COLUMN, REFERENCE_DATE]].to_csv(index=False).encode()


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


@pytest.fixture(scope="module")
def market(anvil: AnvilProcess, tmp_path_factory: pytest.TempPathFactory) -> Market:
    """A freshly deployed ModelRepository for this test module and an empty home."""
    w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
    client = ModelRepositoryClient.deploy(w3, dev_account(0))
    return Market(anvil.rpc_url, client.address, tmp_path_factory.mktemp("market"))


@pytest.fixture(scope="module")
def posted(market: Market, loan_csvs: dict[str, bytes]) -> Callable[..., PostedModel]:
    """posted(target=0.75, bounty_wei=10**18, duration=DAY, **kw) -> a real bounty by dev 0."""

    def post(
        *, target: float = 0.75, bounty_wei: int = 10**18, duration: int = DAY, **kwargs: object
    ) -> PostedModel:
        lender = market.lender()
        terms = BountyTerms(
            title="test model",
            target_score=round(target * 10_000),
            bounty_wei=bounty_wei,
            deadline=lender.node.client.chain_time() + duration,
            **kwargs,  # type: ignore[arg-type]
        )
        return lender.post_bounty(loan_csvs["lender"], terms)

    return post
