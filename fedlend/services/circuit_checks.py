"""An owner's circuit checks, kept on this computer: one verdict per model, verifier and spec."""

from __future__ import annotations

import json
from pathlib import Path

from fedlend.errors import ProofError
from fedlend.private_files import replace_bytes
from fedlend.services.circuit_check import CircuitCheck, check_circuit
from fedlend.services.node import Node
from fedlend.services.verification import Verification
from fedlend_core.bounded_json import loads_bounded
from fedlend_core.progress import Progress
from fl.spec import ModelSpec
from zk.srs import SrsConfig

FILE = "circuit_checks.json"
MAX_BYTES = 1 << 20
MAX_MESSAGE = 2000


def check_key(node: Node, verification: Verification, spec: ModelSpec) -> str:
    """What a verdict holds for: this chain and contract, the model, its verifier, key and spec."""
    parts = (node.chain_id, node.contract.lower(), verification.model_id, verification.verifier)
    return ":".join(str(p) for p in parts) + f":{verification.vk_digest.hex()}:{spec.digest_hex}"


def recall(state: Path, key: str) -> CircuitCheck | None:
    """The verdict kept for `key` (None if never checked; a damaged file says so, not raises)."""
    return kept(state).get(key)


def kept(state: Path) -> dict[str, CircuitCheck]:
    """Every well-formed verdict kept (the file read once); a damaged entry is left out."""
    verdicts = {}
    for key, found in _read(state / FILE).items():
        ok = found.get("ok") if isinstance(found, dict) else None
        message = found.get("message") if isinstance(found, dict) else None
        if isinstance(ok, bool) and isinstance(message, str) and len(message) <= MAX_MESSAGE:
            verdicts[key] = CircuitCheck(ok, message)
    return verdicts


def run_check(
    node: Node, state: Path, verification: Verification, spec: ModelSpec, progress: Progress
) -> CircuitCheck:
    """Check the circuit (fedlend/services/circuit_check.py) and keep the verdict."""
    srs = SrsConfig(node.chain_id, node.settings.zk_srs)
    cache = node.settings.zk_cache_dir
    found = check_circuit(node.client, verification.model_id, spec, srs, cache, progress)
    if found is None:
        raise ProofError(f"model #{verification.model_id} is not verified: no circuit to check")
    path = state / FILE
    known = _read(path)
    known[check_key(node, verification, spec)] = {"ok": found.ok, "message": found.message}
    replace_bytes(path, json.dumps(known, indent=2, sort_keys=True).encode())
    return found


def _read(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    try:
        doc = loads_bounded(
            path.read_bytes(), error=ProofError, what=str(path), max_bytes=MAX_BYTES
        )
    except ProofError:
        return {}  # damaged: every model reads as not checked yet, and a new check rewrites it
    return doc if isinstance(doc, dict) else {}
