"""Is a verified model's verifier the project's RoundVerifier? Its code, answers and Halo2 verifier.

The lender chooses the verifier when it creates a verified model, so a look-alike (any contract
answering `verifyRound` with valid = true) would make every claimed score "proven". The check
compares the deployed runtime code with the compiled RoundVerifier (immutables masked), reads
the immutables the constructor wrote, asks rows() / vkDigest() and looks for the wrapped Halo2
verifier's code. Nothing here raises for a bad verifier: the result says in words what failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.exceptions import Web3Exception

from fedlend.chain.bytecode import CodeMatch, match_runtime
from fedlend.chain.compile import Artifact, load_artifact
from fedlend.chain.rpc import rpc_errors

UNTRUSTED = "its scores cannot be trusted"


@dataclass(frozen=True)
class VerifierCheck:
    """The verdict on one verifier: ok, and what it found (or what failed) in words."""

    ok: bool
    message: str
    halo2: str = ""  # the Halo2 verifier it wraps (when its code is the project's)
    words: int = 0  # its constructor's public weight words (when its code is the project's)
    data_points: int = 0  # ... and the G1 points it reads as the data commitment

    def for_circuit(self, words: int, data_points: int) -> VerifierCheck:
        """This check, failed unless the verifier reads proofs of a circuit with `words` weight
        words and `data_points` committed data points (what the model's spec implies): a
        verifier set to read fewer data points would let every round use another data set."""
        if not self.ok or (self.words, self.data_points) == (words, data_points):
            return self
        return VerifierCheck(
            False,
            f"its verifier reads {self.words} weight words and {self.data_points} committed "
            f"data points, the model's spec needs {words} and {data_points}: {UNTRUSTED}",
            self.halo2,
            self.words,
            self.data_points,
        )


@dataclass(frozen=True)
class Claimed:
    """What the model's ModelVerificationFixed event says the verifier is."""

    verifier: str
    rows: int
    vk_digest: bytes


@lru_cache(maxsize=1)
def round_verifier_artifact() -> Artifact:
    """The project's compiled RoundVerifier (read once per process)."""
    return load_artifact("RoundVerifier")


def check_verifier(w3: Web3, claimed: Claimed) -> VerifierCheck:
    """Check `claimed.verifier` (see the module docstring); every problem is named."""
    address = Web3.to_checksum_address(claimed.verifier)
    code = _code(w3, address)
    if not code:
        return VerifierCheck(False, f"its verifier {address} has no code: {UNTRUSTED}")
    problems = _answers(w3, address, claimed)
    match = match_runtime(code, round_verifier_artifact())
    if not match.matches:
        problems.insert(0, "its verifier is not the project's RoundVerifier")
        return VerifierCheck(False, "; ".join(problems) + f": {UNTRUSTED}")
    problems += _immutables(match, claimed)
    halo2 = _address_word(match.word("_halo2"))
    if halo2 is None:
        problems.append("its verifier names no Halo2 verifier")
    elif not _code(w3, halo2):
        problems.append(f"the Halo2 verifier it wraps ({halo2}) has no code")
    if problems:
        return VerifierCheck(False, "; ".join(problems) + f": {UNTRUSTED}", halo2 or "")
    return VerifierCheck(
        True,
        f"its verifier is the project's RoundVerifier (n = {claimed.rows:,} rows, verifying key "
        f"{claimed.vk_digest.hex()[:16]}…), wrapping the Halo2 verifier at {halo2}",
        halo2 or "",
        _number(match.word("_weightCount")),
        _number(match.word("_dataPoints")),
    )


def _number(word: bytes | None) -> int:
    return int.from_bytes(word, "big") if word is not None else 0


def _code(w3: Web3, address: ChecksumAddress) -> bytes:
    with rpc_errors():
        try:
            code = bytes(w3.eth.get_code(address))
        except (Web3Exception, ValueError):
            return b""
    return code  # longer than MAX_CODE_BYTES never matches


def _answers(w3: Web3, address: ChecksumAddress, claimed: Claimed) -> list[str]:
    """rows() and vkDigest() as the verifier answers them, against the event's values."""
    contract = w3.eth.contract(address=address, abi=round_verifier_artifact().abi)
    problems = []
    rows = _ask(contract, "rows")
    if isinstance(rows, str):
        problems.append(f"its verifier's rows() {rows}")
    elif rows != claimed.rows:
        problems.append(
            f"its verifier answers rows() = {rows!r}, the model fixed n = {claimed.rows}"
        )
    digest = _ask(contract, "vkDigest")
    if isinstance(digest, str):
        problems.append(f"its verifier's vkDigest() {digest}")
    elif digest != claimed.vk_digest:
        problems.append("its verifier answers another vkDigest() than the model fixed")
    return problems


def _ask(contract: Any, name: str) -> int | bytes | str:
    """A view call's answer, or what went wrong in words (a str)."""
    with rpc_errors():
        try:
            answer = getattr(contract.functions, name)().call()
        except (Web3Exception, ValueError, TypeError, OverflowError) as exc:
            return f"reverted or answered garbage ({type(exc).__name__})"
    if isinstance(answer, bool) or not isinstance(answer, int | bytes):
        return f"answered a {type(answer).__name__}"
    return answer


def _immutables(match: CodeMatch, claimed: Claimed) -> list[str]:
    """The constructor's rows and vkDigest, as written into the code, against the event's."""
    problems = []
    rows = match.word("_rows")
    if rows is None or int.from_bytes(rows, "big") != claimed.rows:
        problems.append("its code holds another row count than the model fixed")
    if match.word("_vkDigest") != claimed.vk_digest:
        problems.append("its code holds another verifying key digest than the model fixed")
    return problems


def _address_word(word: bytes | None) -> ChecksumAddress | None:
    if word is None or len(word) != 32 or any(word[:12]) or not any(word[12:]):
        return None
    return Web3.to_checksum_address(word[12:])
