"""What the benchmarks share: a private Anvil and home, a deployed market, one bounty, the apps."""

from __future__ import annotations

import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from werkzeug.serving import BaseWSGIServer, make_server

from fedlend.chain.accounts import dev_account
from fedlend.chain.anvil import AnvilProcess
from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.rpc import connect
from fedlend.chain.terms import ModelTerms
from fedlend.services.bounty_terms import BountyTerms
from fedlend.services.lender import LenderService, PostedModel
from fedlend.services.node import open_node
from fedlend.settings import Settings

LOOPBACK = "127.0.0.1"
BOUNTY_DAYS = 30
TARGET_SCORE = 9000


def say(text: str) -> None:
    """One progress line, flushed at once (a benchmark's output is read while it runs)."""
    print(text, flush=True)


@contextmanager
def private_chain(prefix: str) -> Iterator[tuple[Path, str]]:
    """A throwaway home folder and a fresh Anvil; (home, rpc_url). Both go away on exit."""
    with (
        tempfile.TemporaryDirectory(prefix=prefix, ignore_cleanup_errors=True) as tmp,
        AnvilProcess() as anvil,
    ):
        yield Path(tmp), anvil.rpc_url


def deploy_market(home: Path, rpc_url: str) -> Settings:
    """Deploy ModelRepository from dev account 0; the lender's settings for it."""
    contract = ModelRepositoryClient.deploy(connect(rpc_url), dev_account(0)).address
    return Settings(home=home, rpc_url=rpc_url, contract_address=contract, dev_account=0)


@dataclass(frozen=True)
class Posted:
    """The lender's service, its first real bounty (model 1) and that bounty's deadline."""

    lender: LenderService
    first: PostedModel
    deadline: int

    def copy(self, bounty_wei: int = 10**15) -> None:
        """One more model on the chain with model 1's spec, weights and scores (no training)."""
        self.lender.node.client.create_model(
            ModelTerms(
                weights=self.first.weights_digest,
                spec=self.first.spec_digest,
                initial_score=self.first.initial_score,
                target_score=TARGET_SCORE,
                deadline=self.deadline,
                bounty_wei=bounty_wei,
            )
        )


def post_first_bounty(settings: Settings, csv: bytes, title: str) -> Posted:
    """The lender posts one real 1 ETH bounty from `csv` (spec, base model, initial score)."""
    lender = LenderService(open_node(settings))
    deadline = lender.node.client.chain_time() + BOUNTY_DAYS * 86_400
    first = lender.post_bounty(csv, BountyTerms(title, TARGET_SCORE, 10**18, deadline))
    return Posted(lender, first, deadline)


def lender_config(settings: Settings, home: Path) -> dict[str, Any]:
    """The lender app's config: dev account 0, its own data folder, no background evaluation."""
    return {"FEDLEND_SETTINGS": settings, "DATA_DIR": home / "l", "AUTO_EVALUATE": False}


def owner_config(settings: Settings, home: Path) -> dict[str, Any]:
    """The owner app's config: dev account 1 and its own data folder."""
    return {"FEDLEND_SETTINGS": settings.with_(dev_account=1), "DATA_DIR": home / "o"}


def serve(factory: Callable[[dict[str, Any]], Any], config: dict[str, Any]) -> BaseWSGIServer:
    """Run an app on a free loopback port in a daemon thread; the server (`.server_port`)."""
    server = make_server(LOOPBACK, 0, factory(config), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
