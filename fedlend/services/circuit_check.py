"""Is a verified model's Halo2 verifier its spec's own circuit? Rebuilt here, compared exactly.

The owners' verifier check (verifier_check.py) confirms the RoundVerifier is the project's and
set for the spec's circuit, but the Halo2 verifier it wraps is whatever the lender deployed: one
that accepts every proof would make any score "proven". Here the circuit is rebuilt from the
spec and the model's row count, set up with this machine's SRS (cached; minutes once at full
size), and its verifying key's sha256 and compiled Halo2 verifier are compared with the chain's.
The verifying key depends on the SRS: a lender on a real chain uses a ceremony SRS anyone can
hold (FEDLEND_ZK_SRS); the local chain's insecure SRS exists only where it was generated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from web3 import Web3

from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.compile import compile_source
from fedlend.chain.rpc import rpc_errors
from fedlend.chain.zk_verifier import VERIFIER_EVM_VERSION
from fedlend.services.audit import AuditReport
from fedlend.services.node import Node
from fedlend.services.verification import verification_of
from fedlend.services.verified import circuit_shape_of, is_verified
from fedlend_core.progress import Progress, quiet
from fl.spec import ModelSpec
from zk.evm import VERIFIER_CONTRACT, VERIFIER_FILE, verifier_source
from zk.keys import circuit_keys
from zk.srs import SrsConfig

UNTRUSTED = "its scores cannot be trusted"


@dataclass(frozen=True)
class CircuitCheck:
    """The verdict on a verified model's Halo2 verifier, in words."""

    ok: bool
    message: str


def check_circuit(
    client: ModelRepositoryClient,
    model_id: int,
    spec: ModelSpec,
    srs: SrsConfig,
    cache_dir: Path,
    progress: Progress = quiet,
) -> CircuitCheck | None:
    """Rebuild the model's circuit and compare (see the module docstring); None: unverified."""
    verification = verification_of(client, model_id, spec=spec)
    if verification is None:
        return None
    if not is_verified(spec):
        return CircuitCheck(False, f"the model is verified but its spec is not: {UNTRUSTED}")
    if not verification.check.ok:
        return CircuitCheck(False, f"the verifier check failed first: {verification.check.message}")
    shape = circuit_shape_of(spec, verification.rows)
    keys = circuit_keys(shape, srs, cache_dir, progress)
    if keys.vk_digest != verification.vk_digest:
        return CircuitCheck(
            False,
            f"the circuit rebuilt from the spec ({shape.rows:,} rows x {shape.features}) has "
            f"verifying key {keys.vk_digest.hex()[:16]}…, the verifier reports "
            f"{verification.vk_digest.hex()[:16]}… with {srs_words(keys.srs.insecure)}",
        )
    progress(0.97, "compiling the circuit's Halo2 verifier")
    compiled = compile_source(
        VERIFIER_FILE, verifier_source(keys), evm_version=VERIFIER_EVM_VERSION
    )
    runtime = bytes.fromhex(compiled[VERIFIER_CONTRACT].deployed_bytecode.removeprefix("0x"))
    halo2 = Web3.to_checksum_address(verification.check.halo2)
    with rpc_errors():
        code = bytes(client.w3.eth.get_code(halo2))
    progress(1.0, "circuit checked")
    if code != runtime:
        return CircuitCheck(
            False,
            f"the Halo2 verifier at {halo2} is not the one compiled from the spec's circuit "
            f"(its code is {len(code):,} bytes, the circuit's {len(runtime):,}): {UNTRUSTED}",
        )
    return CircuitCheck(
        True,
        f"the Halo2 verifier at {halo2} is the spec's own circuit: rebuilt here ({shape.rows:,} "
        f"rows x {shape.features}, 2^{keys.logrows} rows), the same verifying key and code",
    )


def audit_circuit(node: Node, model_id: int, report: AuditReport, progress: Progress) -> None:
    """`fedlend audit --circuit`: the check above, counted in the report (a failure mismatches)."""
    spec = node.spec_of(node.client.get_model(model_id))
    settings = node.settings
    srs = SrsConfig(node.chain_id, settings.zk_srs)
    found = check_circuit(node.client, model_id, spec, srs, settings.zk_cache_dir, progress)
    if found is None:
        return
    report.circuit_check, report.circuit_ok = found.message, found.ok
    report.expect(found.ok, f"circuit: {found.message}")


def srs_words(insecure: bool) -> str:
    """What a verifying-key mismatch means, by the SRS this machine used."""
    if insecure:
        return (
            "this machine's locally generated SRS: either the verifier is not for this spec's "
            "circuit or the lender's SRS was generated elsewhere (then no key can agree: set "
            "FEDLEND_ZK_SRS to the SRS the lender used)"
        )
    return (
        "the SRS in FEDLEND_ZK_SRS: if it is the lender's, the verifier is not for this spec's "
        f"circuit and {UNTRUSTED}"
    )
