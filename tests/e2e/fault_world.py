"""The whole lending loop on its own Anvil, with crashes, restarts and re-created services."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from web3 import Web3

from fedlend.chain.accounts import dev_account
from fedlend.chain.anvil import AnvilProcess
from fedlend.chain.client import ModelRepositoryClient
from fedlend.errors import AlreadyPostedError
from fedlend.services.bounty_terms import BountyTerms
from fedlend.services.contribution import ContributeJob
from fedlend.services.evaluation import evaluate_pending
from fedlend.services.lender import LenderService
from fedlend.services.node import open_node
from fedlend.services.owner import OwnerService
from fedlend.settings import Settings
from fedlend.web.db import Database
from fedlend.web.job_recheck import recheck_jobs
from fedlend.web.jobs import Job, JobRunner, JobState, current_job
from fl.train import TrainConfig

DAY = 86_400
BOUNTY_WEI = 2 * 10**18
OWNERS = (1, 2)
POST_ID = "fault-test-post"


class Chain:
    """An Anvil with a state file: restart() keeps everything, crash() loses what came after
    the last write of the state file (as Anvil's --state-interval does, but at known points)."""

    def __init__(self, home: Path) -> None:
        self.state = home / "anvil-state.json"
        self.last_dump = home / "anvil-state.last.json"
        self.anvil = AnvilProcess(state_file=self.state).start()  # later starts keep its port
        self.restarts = self.crashes = 0

    def restart(self) -> None:
        """Stop gracefully (the state file is written), keep it as the last dump, start again."""
        self.anvil.stop()
        shutil.copyfile(self.state, self.last_dump)
        self.anvil.start()
        self.restarts += 1

    def crash(self) -> None:
        """Kill -9, then start from the last dumped state: everything after it is lost."""
        pid = self.anvil.pid
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
        self.anvil.stop()
        shutil.copyfile(self.last_dump, self.state)
        self.anvil.start()
        self.crashes += 1


@dataclass
class World:
    """The lender (dev 0), two owners and their job runners, all re-creatable at any point."""

    chain: Chain
    home: Path
    contract: str
    csvs: dict[str, bytes]
    lender: LenderService = field(init=False)
    owners: dict[int, OwnerService] = field(init=False)
    runners: dict[int, JobRunner] = field(init=False)
    recreated: int = 0

    def __post_init__(self) -> None:
        self.runners = {}
        self.recreate()
        self.recreated = 0

    def settings(self, dev: int) -> Settings:
        """Settings for a dev account on this world's chain, contract and home."""
        return Settings(
            home=self.home,
            rpc_url=self.chain.anvil.rpc_url,
            contract_address=self.contract,
            dev_account=dev,
        )

    def recreate(self) -> None:
        """New service objects and job runners over the same state (an app restart)."""
        for runner in self.runners.values():
            runner.shutdown()
        self.lender = LenderService(open_node(self.settings(0)))
        self.owners = {d: OwnerService(open_node(self.settings(d))) for d in OWNERS}
        self.runners = {
            d: JobRunner(Database(self.home / f"jobs-{d}.sqlite"), min_interval_s=1.0)
            for d in (0, *OWNERS)
        }
        self.recreated += 1

    def recheck(self) -> None:
        """What each app does at start-up: re-check its done jobs' transactions."""
        client = self.lender.node.client
        for runner in self.runners.values():
            recheck_jobs(runner, client)

    def run(self, dev: int, kind: str, fn: Callable[[], dict[str, Any]]) -> Job:
        """One job on that account's runner, waited for."""
        runner = self.runners[dev]
        job = runner.wait(runner.submit(kind, lambda _p, _c: fn()), timeout_s=120)
        assert job.state == JobState.DONE, job.error
        return job

    # --- the steps of the loop (each what a user does from the pages) ------------------------
    def post(self) -> dict[str, Any]:
        """The lender posts the bounty (idempotent by its client-side id)."""
        client = self.lender.node.client
        try:
            terms = BountyTerms(
                "fault test", 8000, BOUNTY_WEI, client.chain_time() + DAY, base="zero"
            )
            posted = self.lender.post_bounty(self.csvs["lender"], terms, post_id=POST_ID)
        except AlreadyPostedError:
            return {"model_id": client.model_count() - 1, "note": "already posted"}
        return {"model_id": posted.model_id, "tx_hash": posted.sent.tx_hash}

    def contribute(self, dev: int, model_id: int) -> dict[str, Any]:
        """An owner trains with DP and submits, charged under its job id."""
        owner = self.owners[dev]
        sha = owner.add_dataset(self.csvs[f"owner{dev}"], name=f"owner{dev}").sha256
        job = current_job()
        done = owner.contribute(
            model_id,
            sha,
            TrainConfig(1.0, seed=dev),
            ContributeJob(charge_key=f"job:{job[0]}" if job else None),
        )
        return {"update_id": done.update_id, "epsilon": done.epsilon, "tx_hash": done.sent.tx_hash}

    def evaluate(self, model_id: int) -> dict[str, Any]:
        """The lender judges the pending updates in one round."""
        results = evaluate_pending(self.lender, model_id)
        return {"evaluated": len(results), "tx_hash": results[0].tx_hash} if results else {}

    def withdraw(self, dev: int) -> dict[str, Any]:
        """An owner withdraws what it is owed (nothing sent if nothing is owed)."""
        owner = self.owners[dev]
        if not owner.owed():
            return {"withdrawn_wei": "0"}
        sent = owner.withdraw()
        return {"withdrawn_wei": str(sent.value), "tx_hash": sent.tx_hash}


def deploy(rpc_url: str) -> str:
    """A fresh ModelRepository by dev 0."""
    return ModelRepositoryClient.deploy(Web3(Web3.HTTPProvider(rpc_url)), dev_account(0)).address
