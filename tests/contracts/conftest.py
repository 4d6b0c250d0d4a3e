"""Fixtures of the contract tests: the session contract's fixtures bundled as one `kit`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_account.signers.local import LocalAccount

from fedlend.chain.client import ModelRepositoryClient
from fedlend.types import Digest
from tests.contracts.helpers import ContractKit


@pytest.fixture
def kit(
    repo: ModelRepositoryClient,
    client_for: Callable[[LocalAccount | None], ModelRepositoryClient],
    dev_accounts: list[LocalAccount],
    new_model: Callable[..., int],
    make_digest: Callable[[], Digest],
    advance_time: Callable[[int], int],
) -> ContractKit:
    """repo, client_for, dev_accounts, new_model, make_digest and advance_time in one object."""
    return ContractKit(repo, client_for, dev_accounts, new_model, make_digest, advance_time)
