"""The project skeleton: settings, errors and the CLI entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fedlend.errors import ConfigError, FedlendError
from fedlend.settings import Settings
from fedlend.types import to_bps


def test_settings_read_environment_and_hide_secrets(tmp_path: Path) -> None:
    env = {
        "FEDLEND_HOME": str(tmp_path),
        "FEDLEND_PRIVATE_KEY": "0x" + "11" * 32,
        "FEDLEND_DEV_ACCOUNT": "3",
        "FEDLEND_RPC_URL": "http://127.0.0.1:9999",
    }
    settings = Settings.from_env(env)
    assert settings.home == tmp_path
    assert settings.dev_account == 3
    assert settings.rpc_url == "http://127.0.0.1:9999"
    assert "11" * 32 not in repr(settings)


def test_settings_name_the_zk_srs_and_key_cache(tmp_path: Path) -> None:
    plain = Settings.from_env({"FEDLEND_HOME": str(tmp_path)})
    assert (plain.zk_srs, plain.zk_cache_dir) == (None, tmp_path / "zk-cache")
    env = {"FEDLEND_ZK_SRS": str(tmp_path / "kzg.srs"), "FEDLEND_ZK_CACHE": str(tmp_path / "k")}
    chosen = Settings.from_env(env)
    assert (chosen.zk_srs, chosen.zk_cache_dir) == (tmp_path / "kzg.srs", tmp_path / "k")


def test_settings_reject_non_integer_account() -> None:
    with pytest.raises(ConfigError, match="FEDLEND_DEV_ACCOUNT"):
        Settings.from_env({"FEDLEND_DEV_ACCOUNT": "two"})


def test_deployment_record_round_trip(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    with pytest.raises(ConfigError, match="fedlend deploy"):
        settings.resolve_contract(31337)
    settings.record_deployment(31337, "0x" + "ab" * 20)
    assert settings.resolve_contract(31337) == "0x" + "ab" * 20
    assert issubclass(ConfigError, FedlendError)


@pytest.mark.parametrize(("metric", "bps"), [(0.7123, 7123), (1.2, 10_000), (-0.1, 0), (0.5, 5000)])
def test_to_bps(metric: float, bps: int) -> None:
    assert to_bps(metric) == bps


def test_console_script_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "fedlend.cli", "version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("fedlend ")
