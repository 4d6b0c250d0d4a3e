"""`fedlend chain` and `fedlend deploy` as a user runs them: real processes, real Anvil."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from fedlend.chain.anvil import AnvilProcess, free_port
from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.deploy import deploy_and_record
from fedlend.settings import Settings

FEDLEND = [sys.executable, "-m", "fedlend.cli"]


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEDLEND_")}
    return {**env, "FEDLEND_HOME": str(home), **extra}


def test_deploy_records_and_prints_the_address(
    anvil: AnvilProcess, tmp_path: Path, dev_keys: list[str]
) -> None:
    env = _env(tmp_path, FEDLEND_RPC_URL=anvil.rpc_url, FEDLEND_DEV_ACCOUNT="4")
    out = subprocess.run(
        [*FEDLEND, "deploy"], env=env, capture_output=True, text=True, timeout=120, check=True
    ).stdout
    address = Settings(home=tmp_path).resolve_contract(31337)
    assert f"ModelRepository deployed at {address} on chain 31337" in out
    assert json.loads((tmp_path / "deployments.json").read_text()) == {"31337": address}
    client = ModelRepositoryClient.connect(Settings(home=tmp_path, rpc_url=anvil.rpc_url))
    assert client.model_count() == 0
    assert not any(key[2:] in out for key in dev_keys)


def test_deploy_without_an_account_says_what_to_set(anvil: AnvilProcess, tmp_path: Path) -> None:
    proc = subprocess.run(
        [*FEDLEND, "deploy"],
        env=_env(tmp_path, FEDLEND_RPC_URL=anvil.rpc_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert "no account configured" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_deploy_to_a_dead_chain_fails_cleanly(tmp_path: Path) -> None:
    env = _env(tmp_path, FEDLEND_RPC_URL=f"http://127.0.0.1:{free_port()}", FEDLEND_DEV_ACCOUNT="0")
    proc = subprocess.run(
        [*FEDLEND, "deploy"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 1
    assert "cannot reach" in proc.stderr
    assert "fedlend chain" in proc.stderr


@pytest.mark.slow
def test_chain_command_prints_addresses_never_keys_and_keeps_state(
    tmp_path: Path, dev_accounts: list[LocalAccount], dev_keys: list[str]
) -> None:
    port = free_port()
    lines = _run_chain_until_ready(tmp_path, port, deploy=True)
    text = "\n".join(lines)
    assert f"http://127.0.0.1:{port}" in text
    assert all(account.address in text for account in dev_accounts)
    assert not any(key[2:].lower() in text.lower() for key in dev_keys)
    assert (tmp_path / "anvil-state.json").stat().st_size > 0
    again = _run_chain_until_ready(tmp_path, port, deploy=False)
    assert any("restored from" in line for line in again)


def _run_chain_until_ready(home: Path, port: int, *, deploy: bool) -> list[str]:
    """Run `fedlend chain`, deploy (or check the old deployment), Ctrl-C it; return its output."""
    proc = subprocess.Popen(
        [*FEDLEND, "chain", "--port", str(port)],
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        while not any("Ctrl-C" in line for line in lines):
            line = proc.stdout.readline()
            assert line, f"fedlend chain exited early: {lines}"
            lines.append(line.rstrip())
        settings = Settings(home=home, rpc_url=f"http://127.0.0.1:{port}", dev_account=0)
        if deploy:
            deploy_and_record(settings)
        else:
            assert ModelRepositoryClient.connect(settings).model_count() == 0
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=30)
    lines += rest.splitlines()
    assert proc.returncode == 0, lines
    return lines
