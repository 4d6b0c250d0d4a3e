"""`fedlend demo --verified` on a small configuration: every round proven, checked on-chain."""

from __future__ import annotations

import re
from pathlib import Path

from web3 import Web3

from fedlend.chain.anvil import AnvilProcess
from fedlend.chain.client import ModelRepositoryClient
from fedlend.demo import DemoConfig, run_demo, summary
from fedlend.services.verified_rounds import proven_rounds
from fedlend.settings import Settings
from tests.zk.conftest import CACHE, COLUMNS, ROWS


def test_the_verified_demo_proves_every_round_and_says_so(
    anvil: AnvilProcess, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path, rpc_url=anvil.rpc_url, zk_cache=CACHE)
    config = DemoConfig(
        owners=2,
        rounds=1,
        bounty_eth=1.0,
        ghost_lender=False,
        verified=True,
        lender_rows=2 * ROWS,  # half is the validation set: the tests' 64 x 4 circuit
        features=COLUMNS,
    )
    lines: list[str] = []
    result = run_demo(settings, config, lines.append)
    assert all(result.checks.values()), result.checks
    assert result.checks["rounds_proven"]
    assert {"createVerifiedModel", "evaluateVerifiedRound"} <= set(result.gas)
    assert "evaluateRound" not in result.gas
    client = ModelRepositoryClient(Web3(Web3.HTTPProvider(anvil.rpc_url)), result.contract)
    assert client.get_verification(result.model_id) is not None
    [event] = proven_rounds(client, result.model_id)
    [row] = result.verified["rounds"]
    assert (row["proven"], row["score"], row["tx_hash"]) == (True, event.score, event.tx_hash)
    assert result.verified["verifier_deploy_gas"] > 0
    assert len(result.verified["prove_seconds"]) == 2  # the initial score, then round 1
    assert any("proving round 1: computing the witness" in line for line in lines)
    # while EZKL proves, the ticker's lines say how long it has run (fedlend_core.progress)
    assert any(re.search(r"proving \(2\^\d+ rows\): \d+ s elapsed", line) for line in lines), lines
    text = summary(result)
    assert "INSECURE SRS" in text
    assert "rounds proven (RoundProven events): 1 of 1" in text
    assert f"evaluateVerifiedRound {row['gas']:,} gas, proven" in text
