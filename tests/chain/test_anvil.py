"""The Anvil runner: readiness, state kept across restarts, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedlend.chain.accounts import dev_account
from fedlend.chain.anvil import AnvilProcess, free_port, rpc_chain_id
from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.rpc import connect
from fedlend.chain.terms import ModelTerms
from fedlend.errors import ChainUnavailableError, ConfigError
from fedlend.types import Digest


@pytest.mark.slow
def test_state_file_keeps_deployments_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    port = free_port()
    with AnvilProcess(port=port, state_file=state) as node:
        client = ModelRepositoryClient.deploy(connect(node.rpc_url), dev_account(0))
        now = client.chain_time()
        model_id = client.create_model(
            ModelTerms(
                weights=Digest(b"\x01" * 32),
                spec=Digest(b"\x02" * 32),
                initial_score=1,
                target_score=2,
                deadline=now + 3600,
                bounty_wei=12345,
            )
        ).value
    assert not node.is_running()
    assert state.stat().st_size > 0
    with AnvilProcess(port=port, state_file=state) as node:
        again = ModelRepositoryClient(connect(node.rpc_url), client.address)
        again.check_deployed()
        assert again.get_model(model_id).bounty_wei == 12345
        assert again.balance_of(again.address) == 12345


def test_ready_means_answering(anvil: AnvilProcess) -> None:
    assert anvil.is_running()
    assert rpc_chain_id(anvil.rpc_url) == anvil.chain_id == 31337


def test_busy_port_is_refused(anvil: AnvilProcess) -> None:
    with pytest.raises(ChainUnavailableError, match="is busy"):
        AnvilProcess(port=anvil.port).start()


def test_missing_binary_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEDLEND_ANVIL", str(tmp_path / "no-anvil"))
    with pytest.raises(ConfigError, match="FEDLEND_ANVIL"):
        AnvilProcess().start()


def test_binary_that_dies_at_start_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "anvil"
    fake.write_text("#!/bin/sh\necho 'anvil: cannot start here' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("FEDLEND_ANVIL", str(fake))
    with pytest.raises(ChainUnavailableError, match="cannot start here"):
        AnvilProcess().start(timeout=5)


def test_url_before_start_is_an_error() -> None:
    with pytest.raises(ChainUnavailableError, match="not started"):
        _ = AnvilProcess().rpc_url
