"""`fedlend address` and `fedlend signals` as a user runs them: real processes, real Anvil."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from fedlend.chain.anvil import AnvilProcess, free_port
from tests.chain.local_history import LocalHistory, build_history

FEDLEND = [sys.executable, "-m", "fedlend.cli"]
SHIPPED = Path(__file__).resolve().parents[2] / "data/ethereum_addresses/eth_addresses_dev.csv.gz"


def _run(home: Path, *args: str, rpc: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDLEND_")}
    env.update(FEDLEND_HOME=str(home), **({"FEDLEND_RPC_URL": rpc} if rpc else {}))
    return subprocess.run(
        [*FEDLEND, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def local(w3: Web3, dev_accounts: list[LocalAccount]) -> LocalHistory:
    return build_history(w3, dev_accounts[7], dev_accounts[8])


def test_address_json_on_a_local_chain(
    anvil: AnvilProcess, local: LocalHistory, tmp_path: Path
) -> None:
    proc = _run(
        tmp_path,
        "address",
        local.account.address,
        "--json",
        "--from-block",
        str(local.first_block),
        rpc=anvil.rpc_url,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["level"] in ("green", "yellow", "red")
    assert out["total"] == 7
    assert out["block"] >= local.first_block
    assert out["profile"] != "unknown"


def test_address_text_shows_progress_and_level(
    anvil: AnvilProcess, local: LocalHistory, tmp_path: Path
) -> None:
    proc = _run(
        tmp_path,
        "address",
        local.account.address,
        "--from-block",
        str(local.first_block),
        rpc=anvil.rpc_url,
    )
    assert proc.returncode == 0, proc.stderr
    assert "scanning blocks [" in proc.stderr
    assert "risk score h/t" in proc.stdout
    assert "profile:" in proc.stdout


def test_dead_chain_is_unknown_with_the_reason(tmp_path: Path) -> None:
    address = "0x" + "1" * 40
    proc = _run(tmp_path, "address", address, "--json", rpc=f"http://127.0.0.1:{free_port()}")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["level"] == "unknown"
    assert "cannot" in out["reasons"][0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["address", "0x12"], "not an Ethereum address"),
        (["address", "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01"], "checksum"),
        (["address", "0x" + "1" * 40, "--csv", str(SHIPPED)], "not UTF-8"),
        (["signals", "score", "--data", "/nonexistent.csv", "--out", "x.csv"], "cannot read"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path: Path, args: list[str], message: str) -> None:
    proc = _run(tmp_path, *args)
    assert proc.returncode == 1
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_signals_score_writes_a_row_per_address(tmp_path: Path) -> None:
    out = tmp_path / "scored.csv"
    proc = _run(tmp_path, "signals", "score", "--data", str(SHIPPED), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "Address,probability,level,profile"
    assert len(lines) == 7874 + 1
    assert "red" in proc.stdout
    assert "#" in proc.stdout


def test_signals_report_json(tmp_path: Path) -> None:
    proc = _run(tmp_path, "signals", "report", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert len(report["version"]) == 64
    assert len(report["report"]["classifiers"]) == 8


def test_address_from_etherscan_exports(tmp_path: Path) -> None:
    from tests.signals.test_etherscan import ME, NORMAL, TOKENS

    normal, tokens = tmp_path / "normal.csv", tmp_path / "tokens.csv"
    normal.write_bytes(NORMAL)
    tokens.write_bytes(TOKENS)
    proc = _run(tmp_path, "address", ME, "--json", "--csv", str(normal), "--csv", str(tokens))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["source"] == "Etherscan CSV export"
    assert out["total"] == 3
    assert out["level"] in ("green", "yellow", "red")
    assert out["block"] is None
