"""Deploy a circuit's verifiers beside the repository: EZKL's Halo2Verifier and a RoundVerifier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from eth_account.signers.local import LocalAccount
from web3 import Web3

from fedlend.chain.compile import compile_source, load_artifact
from fedlend.chain.prepared import ExternalDeployer
from fedlend.chain.rpc import send_call
from fedlend.errors import ProofError
from zk.evm import VERIFIER_CONTRACT, VERIFIER_FILE, verifier_source
from zk.keys import CircuitKeys

VERIFIER_EVM_VERSION = "cancun"  # what EZKL's generated assembly is written for
HALO2_WORDS = (
    "Deploy the circuit's proof verifier (EZKL's Halo2Verifier, 1 of 2): it checks the "
    "zero-knowledge proofs of your verified bounty's scores. No ETH moves, only the fee; "
    "deployed once per circuit and reused by later verified bounties"
)
ROUND_WORDS = (
    "Deploy the RoundVerifier (2 of 2) wrapping verifier {halo2}: it recomputes each proven score "
    "for a {rows}-row validation set (verifying key {digest}…). No ETH moves, only the fee"
)


class Halo2Memory(Protocol):
    """Where a deployed Halo2Verifier's address is kept until its RoundVerifier exists."""

    def recall(self) -> str | None: ...

    def keep(self, address: str) -> None: ...


@dataclass(frozen=True)
class DeployedVerifier:
    """The addresses of one circuit's verifiers and the gas their deployment used."""

    halo2: str
    round_verifier: str
    deploy_gas: int


def deploy_round_verifier(
    w3: Web3,
    account: LocalAccount | ExternalDeployer,
    keys: CircuitKeys,
    *,
    data_points: int,
    halo2_known: Halo2Memory | None = None,
) -> DeployedVerifier:
    """Compile EZKL's verifier with solc-js, deploy it and a RoundVerifier wrapping it;
    `data_points`: the G1 points opening every proof that commit to X and y. A browser wallet
    (ExternalDeployer) reviews and sends both creations: two asks. With `halo2_known`, a
    Halo2Verifier deployed before (whose RoundVerifier never followed: a rejected second
    signature, a crash) is reused if its code is exactly this circuit's compiled verifier."""
    artifacts = compile_source(
        VERIFIER_FILE, verifier_source(keys), evm_version=VERIFIER_EVM_VERSION
    )
    if VERIFIER_CONTRACT not in artifacts:
        raise ProofError("the generated verifier has no Halo2Verifier contract: rerun the setup")
    halo2 = artifacts[VERIFIER_CONTRACT]
    earlier = halo2_known.recall() if halo2_known else None
    if earlier is not None and _has_code(w3, earlier, halo2.deployed_bytecode):
        first: dict[str, Any] = {"contractAddress": earlier, "gasUsed": 0}
    else:
        factory = w3.eth.contract(abi=halo2.abi, bytecode=halo2.bytecode)
        first = _deploy(w3, account, factory.constructor(), HALO2_WORDS)
        if halo2_known is not None:
            halo2_known.keep(str(first["contractAddress"]))
    wrapper = load_artifact("RoundVerifier")
    factory = w3.eth.contract(abi=wrapper.abi, bytecode=wrapper.bytecode)
    call = factory.constructor(
        first["contractAddress"],
        keys.vk_digest,
        keys.shape.rows,
        keys.shape.word_count,
        data_points,
    )
    words = ROUND_WORDS.format(
        halo2=first["contractAddress"], rows=keys.shape.rows, digest=keys.vk_digest.hex()[:16]
    )
    second = _deploy(w3, account, call, words)
    return DeployedVerifier(
        halo2=str(first["contractAddress"]),
        round_verifier=str(second["contractAddress"]),
        deploy_gas=int(first["gasUsed"]) + int(second["gasUsed"]),
    )


def _has_code(w3: Web3, address: str, runtime: str) -> bool:
    if not w3.is_address(address):
        return False
    code = bytes(w3.eth.get_code(w3.to_checksum_address(address)))
    return code == bytes.fromhex(runtime.removeprefix("0x"))


def _deploy(
    w3: Web3, account: LocalAccount | ExternalDeployer, constructor: Any, words: str
) -> dict[str, Any]:
    if isinstance(account, LocalAccount):
        return send_call(w3, account, constructor)
    receipt = account.deploy(w3, constructor, summary=words)
    if not receipt.get("contractAddress"):
        raise ProofError("the wallet's deployment created no contract: post the bounty again")
    return receipt
