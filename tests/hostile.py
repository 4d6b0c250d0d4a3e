"""Hostile inputs for every parser that reads the store or the chain, and how to judge one case.

Used by tests/storage/test_hostile_parsers.py (Hypothesis) and scripts/fuzz_parsers.py (counts).
Each parser takes the raw bytes a stranger controls; a case passes when the parser returns a valid
result or raises a FedlendError, and fails on any other exception (or a crash of the process).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import torch
from eth_account import Account
from hypothesis import strategies as st
from nacl.public import PublicKey, SealedBox
from web3 import Web3

from fedlend.chain.compile import load_artifact
from fedlend.chain.events import EventReader
from fedlend.errors import FedlendError
from fedlend.sealing import (
    INNER_MAGIC,
    SEAL_MAGIC,
    Submission,
    lender_encryption_keypair,
    open_update,
)
from fedlend.sealing.header import UpdateClaims, UpdateHeader, UpdateTarget
from fl.evaluate import validate_update
from fl.models import init_weights
from fl.spec import Feature, ModelSpec
from fl.weights import weights_to_bytes

OWNER = Account.from_key("0x" + "c3" * 32)
LENDER = Account.from_key("0x" + "d4" * 32)
KEYS = lender_encryption_keypair(LENDER)
CONTRACT = "0x" + "5f" * 20
SPEC = ModelSpec(
    features=(
        Feature("loan_amnt", "numeric", mean=10_000.0, std=5_000.0, transform="log1p"),
        Feature("grade", "categorical", categories=("A", "B", "C"), missing_flag=True),
    )
)
WEIGHTS = weights_to_bytes(init_weights(SPEC), spec=SPEC)
HEADER = UpdateHeader.create(
    UpdateTarget(3, b"\x11" * 32, 31337, Web3.to_checksum_address(CONTRACT), OWNER.address),
    UpdateClaims(epsilon=1.5, delta=1e-5, n_examples=500),
)

# --- JSON ---------------------------------------------------------------------------------
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**300, max_value=10**420)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def dumps(value: Any) -> bytes:
    """JSON bytes the way a stranger could write them (NaN, Infinity and huge ints included)."""
    return json.dumps(value, allow_nan=True).encode()


@st.composite
def deep(draw: st.DrawFn) -> bytes:
    """Deeply nested brackets (the C-stack overflow), optionally wrapped in a valid prefix."""
    depth = draw(st.sampled_from([40, 1_000, 20_000, 100_000, 300_000]))
    opener = draw(st.sampled_from([b"[", b'{"a":', b'[{"k":']))
    prefix = draw(st.sampled_from([b"", b'{"version":1,"features":', b'{"x":"\\"[",']))
    return prefix + opener * depth


@st.composite
def mutated(draw: st.DrawFn, good: dict[str, Any]) -> bytes:
    """A valid document with one value somewhere replaced by random JSON (or removed)."""
    doc = json.loads(json.dumps(good))
    node: Any = doc
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, dict | list) and child and draw(st.booleans()):
            node = child
            continue
        if isinstance(node, dict) and draw(st.integers(0, 9)) == 0:
            del node[key]
        else:
            node[key] = draw(JSON_VALUES)
        break
    return dumps(doc)


def documents(good: dict[str, Any]) -> st.SearchStrategy[bytes]:
    """Random JSON, random bytes, deep nesting and near-valid mutations of `good`."""
    return (
        mutated(good)
        | JSON_VALUES.map(dumps)
        | st.binary(max_size=200)
        | deep()
        | st.just(json.dumps(good).encode())
    )


# --- safetensors --------------------------------------------------------------------------
def _split_weights(blob: bytes) -> tuple[dict[str, Any], bytes]:
    (length,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8 : 8 + length]), blob[8 + length :]


@st.composite
def safetensors_blobs(draw: st.DrawFn) -> bytes:
    """Weights blobs with a hostile header (mutated, random or deep), a forged length or junk."""
    header, data = _split_weights(WEIGHTS)
    kind = draw(st.sampled_from(["mutated", "random", "deep", "length", "junk", "truncated"]))
    if kind == "junk":
        return draw(st.binary(max_size=300))
    if kind == "truncated":
        return WEIGHTS[: draw(st.integers(0, len(WEIGHTS) - 1))]
    if kind == "length":
        head = dumps(header)
        return struct.pack("<Q", draw(st.integers(0, 2**64 - 1))) + head + data
    strategy = {"mutated": mutated(header), "random": JSON_VALUES.map(dumps), "deep": deep()}[kind]
    raw = draw(strategy)
    return struct.pack("<Q", len(raw)) + raw + data


# --- sealed updates -----------------------------------------------------------------------
def sealed(header_bytes: bytes, tail: bytes = b"\x00" * 65 + b"payload") -> bytes:
    """A blob sealed to KEYS carrying `header_bytes` (so the lender decrypts and parses it)."""
    inner = INNER_MAGIC + len(header_bytes).to_bytes(4, "big") + header_bytes + tail
    return SEAL_MAGIC + bytes(SealedBox(PublicKey(KEYS.public)).encrypt(inner))


def open_sealed(blob: bytes) -> object:
    """What the lender's evaluation does with a blob found under a submitted digest."""
    return open_update(
        blob,
        lender_private_key=KEYS.private,
        expected=Submission(OWNER.address, HEADER.model_id, HEADER.chain_id, HEADER.contract),
    )


# --- chain logs ---------------------------------------------------------------------------
@cache
def event_reader() -> EventReader:
    """A reader with the real ModelRepository ABI (decoding needs no connection)."""
    return EventReader(Web3(), CONTRACT, load_artifact().abi)


@st.composite
def logs(draw: st.DrawFn) -> dict[str, Any]:
    """A log as a hostile RPC node could return it for this contract: a known event topic with
    random indexed topics and data (or a few broken shapes)."""
    reader = event_reader()
    topic0 = draw(st.sampled_from(sorted(reader._by_topic)) | st.binary(min_size=32, max_size=32))
    extra = draw(st.lists(st.binary(min_size=32, max_size=32), max_size=4))
    return {
        "address": Web3.to_checksum_address(CONTRACT),
        "topics": [topic0, *extra],
        "data": draw(st.binary(max_size=320)),
        "blockNumber": draw(st.integers(0, 2**40)),
        "logIndex": draw(st.integers(0, 1000)),
        "transactionHash": draw(st.binary(min_size=32, max_size=32)),
        "transactionIndex": 0,
        "blockHash": draw(st.binary(min_size=32, max_size=32)),  # a fresh log, never cached
    }


@dataclass(frozen=True)
class Parser:
    """One reader of hostile content, the inputs to feed it, and a check of what it returns."""

    name: str
    parse: Callable[[Any], object]
    inputs: st.SearchStrategy[Any]
    valid: Callable[[object], bool] = lambda result: result is not None


def _spec_ok(spec: object) -> bool:
    return isinstance(spec, ModelSpec) and ModelSpec.from_json(spec.to_json()) == spec


def _weights_ok(update: object) -> bool:
    return all(torch.isfinite(t).all() for t in update.weights.values())  # type: ignore[attr-defined]


def _header_ok(header: object) -> bool:
    return isinstance(header, UpdateHeader) and UpdateHeader.from_json(header.to_json()) == header


PARSERS = [
    Parser("spec", ModelSpec.from_json, documents(SPEC.to_dict()), _spec_ok),
    Parser("safetensors", lambda b: validate_update(SPEC, b), safetensors_blobs(), _weights_ok),
    Parser(
        "sealed header",
        UpdateHeader.from_json,
        documents(json.loads(HEADER.to_json())),
        _header_ok,
    ),
    Parser(
        "sealed blob", lambda h: open_sealed(sealed(h)), documents(json.loads(HEADER.to_json()))
    ),
    Parser("sealed junk", open_sealed, st.binary(max_size=300).map(lambda b: SEAL_MAGIC + b)),
    Parser("chain log", lambda log: event_reader()._decode(log), logs()),
]


def judge(parser: Parser, case: Any) -> str:
    """ "valid" or "refused" (a FedlendError); anything else is raised to the caller."""
    try:
        result = parser.parse(case)
    except FedlendError as exc:
        reason = str(exc)
    else:
        assert parser.valid(result), f"{parser.name}: returned an invalid result {result!r:.200}"
        return "valid"
    assert reason, f"{parser.name}: a FedlendError without a reason"
    return "refused"
