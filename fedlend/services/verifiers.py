"""A circuit's on-chain verifiers: deployed once per (chain, repository, circuit), then reused.

The addresses live in the lender's private state (verifiers.json); before reuse the chain is
asked again (a restarted Anvil forgets contracts): the RoundVerifier must still have code and
report the circuit's verifying-key digest and rows, else it is deployed anew: by the server's
account in key mode, or prepared for the lender's browser wallet to review and send.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from eth_account.signers.local import LocalAccount

from fedlend.chain.prepared import ExternalDeployer
from fedlend.chain.zk_verifier import deploy_round_verifier
from fedlend.errors import ConfigError, ProofError
from fedlend.private_files import replace_bytes
from fedlend.services.node import Node
from fedlend.services.verifier_check import Claimed, check_verifier
from fedlend_core.bounded_json import loads_bounded
from fedlend_core.progress import Progress, quiet
from zk.keys import CircuitKeys

REGISTRY = "verifiers.json"
MAX_REGISTRY_BYTES = 1 << 20


@dataclass(frozen=True)
class Verifier:
    """The RoundVerifier a verified model names, and what deploying it cost (0: reused)."""

    address: str
    deploy_gas: int


def round_verifier(
    node: Node,
    keys: CircuitKeys,
    state: Path,
    *,
    data_points: Callable[[], int],
    progress: Progress = quiet,
) -> Verifier:
    """The circuit's RoundVerifier on this chain and repository (deployed now if unknown);
    `data_points()`: how many G1 points open each proof and commit to the data."""
    key = f"{node.chain_id}:{node.contract.lower()}:{keys.directory.name}"
    path = state / REGISTRY
    known = _read(path)
    address = known.get(key)
    if isinstance(address, str) and _still_there(node, address, keys):
        progress(1.0, f"reusing the circuit's verifier {address}")
        return Verifier(address, 0)
    account = node.account
    if not isinstance(account, LocalAccount) and not callable(getattr(account, "deploy", None)):
        raise ConfigError(
            "this account cannot deploy the circuit's verifier contracts: use the lender app "
            "with a browser wallet or in key mode (FEDLEND_PRIVATE_KEY or a keystore)"
        )
    progress(0.1, "compiling and deploying the circuit's verifier contracts")
    deployer = cast("LocalAccount | ExternalDeployer", account)
    halo2 = _Halo2Entry(path, f"halo2:{key}")
    deployed = deploy_round_verifier(
        node.client.w3, deployer, keys, data_points=data_points(), halo2_known=halo2
    )
    known = _read(path)
    known[key] = deployed.round_verifier
    known.pop(halo2.key, None)
    _write(path, known)
    progress(1.0, f"verifier deployed at {deployed.round_verifier}")
    return Verifier(deployed.round_verifier, deployed.deploy_gas)


@dataclass(frozen=True)
class _Halo2Entry:
    """The registry's note of a Halo2Verifier deployed before its RoundVerifier (a retry after
    a rejected second signature reuses it instead of paying for it again)."""

    path: Path
    key: str

    def recall(self) -> str | None:
        address = _read(self.path).get(self.key)
        return address if isinstance(address, str) else None

    def keep(self, address: str) -> None:
        known = _read(self.path)
        known[self.key] = address
        _write(self.path, known)


def _still_there(node: Node, address: str, keys: CircuitKeys) -> bool:
    """The registered address still holds this circuit's verifier, by the owners' own check
    (a reset chain may hold another contract, or nothing, at the same address)."""
    if not node.client.w3.is_address(address):
        return False
    claimed = Claimed(address, keys.shape.rows, keys.vk_digest)
    check = check_verifier(node.client.w3, claimed)
    return check.for_circuit(keys.shape.word_count, keys.shape.data_inputs).ok


def _read(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    doc = loads_bounded(
        path.read_bytes(), error=ProofError, what=str(path), max_bytes=MAX_REGISTRY_BYTES
    )
    if not isinstance(doc, dict):
        raise ProofError(f"{path} is not a JSON object: delete it (verifiers are redeployed)")
    return doc


def _write(path: Path, known: dict[str, object]) -> None:
    replace_bytes(path, json.dumps(known, indent=2, sort_keys=True).encode())
