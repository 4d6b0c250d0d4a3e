"""A model's verification as anyone can read it from the chain: None (unverified) or its record.

The record joins the model's ModelVerificationFixed event (verifier, data commitment, rows, vk
digest), its RoundProven events and the verifier check (fedlend.services.verifier_check). Logs
are hostile: each is decoded and type-checked alone, a malformed one is skipped with a note.
Everything is read once per chain head (both event kinds for every model in one scan), so a
listing of many models costs two log queries and one check per distinct verifier.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from eth_typing import HexStr
from eth_utils import keccak
from web3 import Web3
from web3._utils.events import get_event_data
from web3.exceptions import Web3Exception

from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.events import UpdateEvaluated, block_pages
from fedlend.chain.head import HeadMemo
from fedlend.chain.rpc import rpc_errors
from fedlend.errors import ContractError, FedlendError
from fedlend.services.verified import circuit_fit
from fedlend.services.verifier_check import UNTRUSTED, Claimed, VerifierCheck, check_verifier
from fedlend.types import MAX_SCORE, UpdateStatus
from fl.spec import ModelSpec

FIXED, PROVEN = "ModelVerificationFixed", "RoundProven"
MAX_LOGS = 100_000  # per scan: more than this is not an honest repository's history
MAX_ROWS = 1 << 32
_MEMO = HeadMemo(limit=1 << 14)  # per head: each model's record, each verifier's check
_SCANS = HeadMemo(
    limit=64
)  # per head: one scan per contract (apart, so many models never evict it)
_GAS: OrderedDict[tuple[str, str], int] = OrderedDict()
_GAS_LOCK = threading.Lock()
MAX_GAS_REMEMBERED = 10_000


@dataclass(frozen=True)
class ProvenRound:
    """One RoundProven event: the proven score, weights digest and proof hash, where, and gas."""

    score: int
    weights: bytes
    proof_hash: bytes  # keccak256 of the proof bytes
    tx_hash: str
    block_number: int
    gas_used: int | None = None  # the evaluateVerifiedRound transaction's gas (when asked)


@dataclass(frozen=True)
class Verification:
    """What a verified model fixed at creation, its proven rounds and the verifier check."""

    model_id: int
    verifier: str
    commitment: bytes
    rows: int
    vk_digest: bytes
    fixed_block: int
    fixed_tx: str
    rounds: tuple[ProvenRound, ...]
    check: VerifierCheck
    notes: tuple[str, ...] = ()  # logs of this model skipped as malformed

    @property
    def trusted(self) -> bool:
        """The verifier check passed: a proven round's score is the AUC on the committed set."""
        return self.check.ok

    def for_spec(self, spec: ModelSpec | None) -> Verification:
        """This verification with the check also holding the verifier to the model's circuit
        (its weight words and data points, `circuit_fit`); unchanged without a spec."""
        if spec is None:
            return self
        try:
            words, points = circuit_fit(spec)
        except FedlendError as exc:  # a spec no circuit can have: its verifier fits nothing
            return replace(self, check=VerifierCheck(False, f"{exc}: {UNTRUSTED}"))
        return replace(self, check=self.check.for_circuit(words, points))

    @property
    def proven_txs(self) -> frozenset[str]:
        """The transactions whose round was proven."""
        return frozenset(r.tx_hash for r in self.rounds)


@dataclass(frozen=True)
class _Fixed:
    model_id: int
    claimed: Claimed
    commitment: bytes
    block_number: int
    tx_hash: str


@dataclass(frozen=True)
class _Scan:
    fixed: dict[int, _Fixed]
    rounds: dict[int, tuple[ProvenRound, ...]]
    notes: dict[int | None, tuple[str, ...]]


def verification_of(
    client: ModelRepositoryClient,
    model_id: int,
    *,
    gas: bool = False,
    spec: ModelSpec | None = None,
) -> Verification | None:
    """The model's verification (None if it was created unverified); `gas` adds each proven
    round's transaction gas (one receipt each, remembered); with the model's `spec`, the check
    also holds the verifier to the spec's circuit (`Verification.for_spec`)."""
    head = bytes(client.latest_block()["hash"])
    key = (client.address, "model", model_id, gas)
    found = _MEMO.get(head, key, lambda: _verification(client, head, model_id, gas=gas))
    return found.for_spec(spec) if found is not None else None


def verifications(
    client: ModelRepositoryClient,
    model_ids: Iterable[int],
    specs: Mapping[int, ModelSpec | None] | None = None,
) -> dict[int, Verification | None]:
    """verification_of for several models (one scan of the chain for all of them), each held
    to its spec's circuit when `specs` has it."""
    specs = specs or {}
    return {m: verification_of(client, m, spec=specs.get(m)) for m in model_ids}


def _verification(
    client: ModelRepositoryClient, head: bytes, model_id: int, *, gas: bool
) -> Verification | None:
    scan = _SCANS.get(head, client.address, lambda: _scan(client, _head_number(client)))
    fixed = scan.fixed.get(model_id)
    if fixed is None:
        return None
    check = _MEMO.get(
        head,
        (client.address, "check", fixed.claimed),
        lambda: check_verifier(client.w3, fixed.claimed),
    )
    try:
        stored = client.get_verification(model_id)
    except ContractError:  # the event names a model the contract does not have
        stored = None
    if stored is None or not _same(stored, fixed):
        check = VerifierCheck(
            False, "the contract's getVerification disagrees with its ModelVerificationFixed event"
        )
    rounds = scan.rounds.get(model_id, ())
    if gas:
        rounds = tuple(replace(r, gas_used=_gas_of(client.w3, r)) for r in rounds)
    return Verification(
        model_id=model_id,
        verifier=fixed.claimed.verifier,
        commitment=fixed.commitment,
        rows=fixed.claimed.rows,
        vk_digest=fixed.claimed.vk_digest,
        fixed_block=fixed.block_number,
        fixed_tx=fixed.tx_hash,
        rounds=rounds,
        check=check,
        notes=scan.notes.get(model_id, ()),
    )


def _same(stored: tuple[str, bytes], fixed: _Fixed) -> bool:
    verifier, commitment = stored
    return verifier.lower() == fixed.claimed.verifier.lower() and commitment == fixed.commitment


def _head_number(client: ModelRepositoryClient) -> int:
    return int(client.latest_block()["number"])


def _scan(client: ModelRepositoryClient, last: int) -> _Scan:
    """Every ModelVerificationFixed and RoundProven log of the contract, decoded one by one."""
    abis = {e["name"]: e for e in client.artifact.abi if e.get("type") == "event"}
    by_topic = {_topic(abis[name]): abis[name] for name in (FIXED, PROVEN) if name in abis}
    fixed: dict[int, _Fixed] = {}
    rounds: dict[int, list[ProvenRound]] = {}
    notes: dict[int | None, list[str]] = {}
    for log in _logs(client, list(by_topic), last):
        try:
            abi = by_topic[bytes(log["topics"][0])]
            data = get_event_data(client.w3.codec, abi, log)
            model_id, item = _checked(abi["name"], data)
        except Exception as exc:  # eth-abi/web3 raise many types for malformed logs
            notes.setdefault(None, []).append(
                f"a malformed verification log ({type(exc).__name__})"
            )
            continue
        if isinstance(item, _Fixed):
            if model_id in fixed:
                notes.setdefault(model_id, []).append("a second ModelVerificationFixed (ignored)")
                continue
            fixed[model_id] = item
        else:
            rounds.setdefault(model_id, []).append(item)
    return _Scan(
        fixed,
        {m: tuple(r) for m, r in rounds.items()},
        {m: tuple(n) for m, n in notes.items()},
    )


def _logs(client: ModelRepositoryClient, topics: list[bytes], last: int) -> list[Any]:
    """The logs with these topics from the deployment block to `last` (at most MAX_LOGS)."""
    found: list[Any] = []
    with rpc_errors():
        for low, high in block_pages(client.deployed_block, last, client.page_size):
            params: Any = {
                "address": Web3.to_checksum_address(client.address),
                "fromBlock": low,
                "toBlock": high,
                "topics": [[Web3.to_hex(t) for t in topics]],
            }
            found.extend(client.w3.eth.get_logs(params))
            if len(found) > MAX_LOGS:
                break
    return found[:MAX_LOGS]


def _checked(name: str, data: Any) -> tuple[int, _Fixed | ProvenRound]:
    """The log's model id and record, every field type- and range-checked (ValueError if not)."""
    args = data["args"]
    model_id = _int(args["modelId"], 1, 1 << 64)
    block, tx = _int(data["blockNumber"], 0, 1 << 64), Web3.to_hex(data["transactionHash"])
    if name == FIXED:
        claimed = Claimed(
            Web3.to_checksum_address(args["verifier"]),
            _int(args["rows"], 1, MAX_ROWS),
            _word(args["vkDigest"]),
        )
        return model_id, _Fixed(model_id, claimed, _word(args["commitment"]), block, tx)
    proven = ProvenRound(
        score=_int(args["score"], 0, MAX_SCORE),
        weights=_word(args["newWeights"]),
        proof_hash=_word(args["proofDigest"]),
        tx_hash=tx,
        block_number=block,
    )
    return model_id, proven


def _int(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{value!r} is not an integer in [{low}, {high}]")
    return value


def _word(value: Any) -> bytes:
    if not isinstance(value, bytes) or len(value) != 32:
        raise ValueError("not a 32-byte word")
    return value


def _topic(abi: dict[str, Any]) -> bytes:
    types = ",".join(arg["type"] for arg in abi["inputs"])
    return keccak(text=f"{abi['name']}({types})")


def _gas_of(w3: Web3, r: ProvenRound) -> int | None:
    """The round transaction's gas used (remembered by transaction and block)."""
    key = (r.tx_hash, str(r.block_number))
    with _GAS_LOCK:
        if key in _GAS:
            return _GAS[key]
    try:
        with rpc_errors():
            receipt = w3.eth.get_transaction_receipt(HexStr(r.tx_hash))
        gas = _int(receipt["gasUsed"], 0, 1 << 64)
    except (Web3Exception, KeyError, ValueError, TypeError):
        return None
    with _GAS_LOCK:
        _GAS[key] = gas
        while len(_GAS) > MAX_GAS_REMEMBERED:
            _GAS.popitem(last=False)
    return gas


def proven_updates(client: ModelRepositoryClient, model_ids: Iterable[int]) -> dict[int, bool]:
    """For every judged update of the verified models among `model_ids`: update id -> whether
    the round that judged it was proven (updates claimed after a review window have no round)."""
    head = bytes(client.latest_block()["hash"])
    out: dict[int, bool] = {}
    for model_id in sorted(set(model_ids)):
        found = verification_of(client, model_id)
        if found is not None:
            key = (client.address, "judged", model_id)
            out.update(_MEMO.get(head, key, partial(_judged_in, client, found)))
    return out


def _judged_in(client: ModelRepositoryClient, found: Verification) -> dict[int, bool]:
    proven = found.proven_txs
    events = client.events(model_id=found.model_id, names=["UpdateEvaluated"])
    return {
        e.update_id: e.at.tx_hash in proven
        for e in events
        if isinstance(e, UpdateEvaluated) and e.status != UpdateStatus.EXPIRED
    }
