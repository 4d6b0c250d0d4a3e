"""The main job: `fedlend demo` end to end, checked against the chain independently."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import pytest
from web3 import Web3

from fedlend.chain.anvil import AnvilProcess, free_port
from fedlend.demo import DemoConfig, run_demo
from fedlend.settings import Settings
from fedlend.types import ModelStatus, UpdateStatus
from fl.weights import load_model

REQUIRED = {
    "metric",
    "initial_score",
    "final_score",
    "target_score",
    "bounty_wei",
    "paid_wei",
    "reclaimed_wei",
    "accepted",
    "rejected",
    "owners",
    "rounds",
    "epsilon_per_owner",
    "gas",
    "seconds",
    "model_path",
}


def test_demo_pays_by_the_rules_and_conserves_the_bounty(
    anvil: AnvilProcess, tmp_path: Path
) -> None:
    from fedlend.chain.client import ModelRepositoryClient

    settings = Settings(home=tmp_path, rpc_url=anvil.rpc_url)
    lines: list[str] = []
    config = DemoConfig(owners=3, rounds=2, epsilon=3.0, bounty_eth=2.0)
    result = run_demo(settings, config, lines.append)

    assert set(asdict(result)) >= REQUIRED
    assert all(result.checks.values()), result.checks
    client = ModelRepositoryClient(Web3(Web3.HTTPProvider(anvil.rpc_url)), result.contract)
    model = client.get_model(result.model_id)
    assert model.status == ModelStatus.RECLAIMED
    rewards = sum(u.reward_wei for u in client.updates_of_model(result.model_id))
    assert rewards == result.paid_wei
    assert result.paid_wei + result.reclaimed_wei + model.remaining_wei == 2 * 10**18
    assert result.accepted + result.rejected == 3 * 2
    assert result.final_score == model.best_score >= result.initial_score
    assert 0 < result.epsilon_per_owner <= 3.0 + 1e-6
    assert {"createModel", "submitUpdate", "evaluateRound"} <= set(result.gas)
    # every round is one evaluateRound whose per-owner rewards add up to its payout
    assert [d["round"] for d in result.round_details] == [1, 2]
    for detail in result.round_details:
        updates = detail["updates"]
        assert isinstance(updates, list)
        assert len(updates) == 3
        assert sum(u["reward_wei"] for u in updates) == detail["payout_wei"]
        assert sum(u["share_bps"] for u in updates) in (0, 10_000)
        [tx] = {
            e.at.tx_hash
            for e in client.events(names=["RoundEvaluated"])
            if e.at.tx_hash == detail["tx_hash"]
        }
        assert tx == detail["tx_hash"]
    # scenario 2: the lender never evaluates; the owners' claims take the bounty, to the wei
    ghost = result.ghost
    assert ghost["claims_wei"] == [333_333_333_333_333_334] * 3
    assert ghost["reclaimed_wei"] == 0
    assert sum(ghost["claims_wei"]) + ghost["reclaimed_wei"] == ghost["bounty_wei"]
    ghost_id = ghost["model_id"]
    assert isinstance(ghost_id, int)
    ghost_model = client.get_model(ghost_id)
    assert (ghost_model.status, ghost_model.remaining_wei) == (ModelStatus.RECLAIMED, 0)
    claimed = [u.status for u in client.updates_of_model(ghost_id)]
    assert claimed == [UpdateStatus.EXPIRED] * 3
    spec, _weights = load_model(result.model_path)
    assert spec.digest == model.spec
    assert any("round 2/2" in line for line in lines)

    # the main job can be run again on the same home: a new contract, the dev owners start afresh
    again = run_demo(settings, DemoConfig(owners=2, rounds=1, bounty_eth=1.0), lines.append)
    assert again.contract != result.contract, again.checks
    assert all(again.checks.values()), again.checks


@pytest.mark.slow
def test_demo_command_starts_its_own_chain_and_prints_json(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "FEDLEND_HOME": str(tmp_path),
        "FEDLEND_RPC_URL": f"http://127.0.0.1:{free_port()}",
    }
    env.pop("FEDLEND_CONTRACT", None)
    out = subprocess.run(
        [sys.executable, "-m", "fedlend.cli", "demo", "--owners", "2", "--rounds", "1", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout)
    assert set(report) >= REQUIRED
    assert report["paid_wei"] + report["reclaimed_wei"] <= report["bounty_wei"]
    assert "summary" in out.stderr
    assert (tmp_path / "anvil-state.json").exists()
    evaluate = subprocess.run(
        [
            sys.executable,
            "-m",
            "fedlend.cli",
            "evaluate",
            "--model",
            report["model_path"],
            "--data",
            "data/lending_club/loans_2007_2011-08.csv.gz",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert evaluate.returncode == 0, evaluate.stderr[-2000:]
    assert 0.6 < json.loads(evaluate.stdout)["roc_auc"] < 0.8
