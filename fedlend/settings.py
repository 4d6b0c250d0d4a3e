"""Settings from the environment, in one place: chain, contract, account, storage, data dir."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from fedlend.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOME = ROOT / ".fedlend"
DEFAULT_RPC_URL = "http://127.0.0.1:8545"
DEFAULT_MAX_BLOB_BYTES = 1 << 20  # 1 MiB: one raw IPFS block, so a 32-byte digest rebuilds the CID
LOCAL_CHAIN_ID = 31337
SHIPPED_LOANS = ROOT / "data" / "lending_club" / "loans_2007_2011-08.csv.gz"


@dataclass(frozen=True)
class Settings:
    """Everything configurable about one fedlend process. Secrets never appear in repr()."""

    home: Path = DEFAULT_HOME
    rpc_url: str = field(default=DEFAULT_RPC_URL, repr=False)  # may carry an access key
    contract_address: str | None = None
    private_key: str | None = field(default=None, repr=False)
    keystore_path: Path | None = None
    keystore_password: str | None = field(default=None, repr=False)
    dev_account: int | None = None  # index of an Anvil dev account (local chain only)
    ipfs_url: str | None = None  # Kubo RPC API base URL; None = embedded local store
    max_blob_bytes: int = DEFAULT_MAX_BLOB_BYTES
    rpc_timeout: float = 30.0
    zk_srs: Path | None = None  # a ceremony KZG SRS for verified models (needed off chain 31337)
    zk_cache: Path | None = None  # circuit keys of verified models; None: <home>/zk-cache

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read FEDLEND_* variables (see README), then apply keyword overrides."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        if "FEDLEND_HOME" in env:
            values["home"] = Path(env["FEDLEND_HOME"]).expanduser()
        _copy(env, values, "FEDLEND_RPC_URL", "rpc_url")
        _copy(env, values, "FEDLEND_CONTRACT", "contract_address")
        _copy(env, values, "FEDLEND_PRIVATE_KEY", "private_key")
        _copy(env, values, "FEDLEND_KEYSTORE_PASSWORD", "keystore_password")
        _copy(env, values, "FEDLEND_IPFS_URL", "ipfs_url")
        for var, name in (("FEDLEND_ZK_SRS", "zk_srs"), ("FEDLEND_ZK_CACHE", "zk_cache")):
            if env.get(var):
                values[name] = Path(env[var]).expanduser()
        if "FEDLEND_KEYSTORE" in env:
            values["keystore_path"] = Path(env["FEDLEND_KEYSTORE"]).expanduser()
        for var, name in (
            ("FEDLEND_DEV_ACCOUNT", "dev_account"),
            ("FEDLEND_MAX_BLOB_BYTES", "max_blob_bytes"),
        ):
            if env.get(var):
                values[name] = _int(env[var], var)
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    def with_(self, **changes: object) -> Settings:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def deployment_file(self) -> Path:
        """Where `fedlend deploy` records the contract address per chain id."""
        return self.home / "deployments.json"

    @property
    def zk_cache_dir(self) -> Path:
        """Where circuit keys and the insecure local SRS of verified models are cached."""
        return self.zk_cache or self.home / "zk-cache"

    @property
    def store_dir(self) -> Path:
        """The embedded content store's directory."""
        return self.home / "store"

    def resolve_contract(self, chain_id: int) -> str:
        """The contract address: FEDLEND_CONTRACT, else the one deployed on this chain id."""
        if self.contract_address:
            return self.contract_address
        try:
            deployments = json.loads(self.deployment_file.read_text())
        except FileNotFoundError:
            deployments = {}
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(
                f"cannot read {self.deployment_file}: {exc}; delete it and redeploy"
            ) from exc
        address = deployments.get(str(chain_id))
        if not address:
            raise ConfigError(
                f"no ModelRepository known on chain {chain_id}: run `fedlend deploy` "
                "or set FEDLEND_CONTRACT to its address"
            )
        return str(address)

    def record_deployment(self, chain_id: int, address: str) -> None:
        """Remember the contract address for this chain id (atomic write)."""
        self.home.mkdir(parents=True, exist_ok=True)
        try:
            deployments = json.loads(self.deployment_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            deployments = {}
        deployments[str(chain_id)] = address
        tmp = self.deployment_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(deployments, indent=2))
        tmp.replace(self.deployment_file)


def _copy(env: Mapping[str, str], values: dict[str, object], var: str, name: str) -> None:
    if env.get(var):
        values[name] = env[var]


def _int(text: str, var: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise ConfigError(f"{var} must be a whole number, got {text!r}") from exc
