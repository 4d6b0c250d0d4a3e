"""The signed header of a sealed update: what it is for, validated and parsed strictly from JSON."""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any

from eth_utils import is_address, is_checksum_address, to_checksum_address

from fedlend.errors import SealingError
from fedlend_core.bounded_json import finite_number, loads_bounded

FORMAT = "fedlend-update/2"
LEGACY_FORMAT = "fedlend-update/1"  # the same fields, `n_examples` spelt `num_examples`
MAX_HEADER_BYTES = 4096
MAX_UINT256 = (1 << 256) - 1
MAX_EXAMPLES = 1_000_000_000
_DIGEST_RE = re.compile(r"0x[0-9a-f]{64}")
_NONCE_RE = re.compile(r"[0-9a-f]{32}")


def same_address(a: str, b: str) -> bool:
    """True if both are valid 0x-addresses naming the same account (any letter case)."""
    return is_address(a) and is_address(b) and a.lower() == b.lower()


@dataclass(frozen=True)
class UpdateTarget:
    """What an update is for: the model and base weights, on which chain and contract, from whom."""

    model_id: int
    base_digest: bytes  # the 32-byte digest of the weights the update was trained from
    chain_id: int
    contract: str
    submitter: str


@dataclass(frozen=True)
class UpdateClaims:
    """What an update claims about its training: its DP figures and how many examples it saw."""

    epsilon: float
    delta: float
    n_examples: int


@dataclass(frozen=True)
class UpdateHeader:
    """What an update claims: model, base weights, chain, contract, submitter, DP figures."""

    model_id: int
    base_digest: str  # 0x-hex sha2-256 digest of the weights the update was trained from
    chain_id: int
    contract: str  # checksummed ModelRepository address
    submitter: str  # checksummed owner address (must equal the signer and the on-chain sender)
    epsilon: float
    delta: float
    n_examples: int
    timestamp: int  # unix seconds when sealed
    nonce: str  # 32 hex characters, fresh per update

    def __post_init__(self) -> None:
        for name in ("model_id", "chain_id", "n_examples", "timestamp"):
            _require(_is_int(getattr(self, name)), f"{name} must be a whole number")
        _require(0 <= self.model_id <= MAX_UINT256, "model_id is out of range")
        _require(0 < self.chain_id < 1 << 64, "chain_id is out of range")
        _require(0 < self.n_examples <= MAX_EXAMPLES, "n_examples must be positive")
        _require(0 <= self.timestamp < 1 << 40, "timestamp is out of range")
        _require(_is_number(self.epsilon) and self.epsilon > 0, "epsilon must be finite and > 0")
        _require(_is_number(self.delta) and 0 <= self.delta < 1, "delta must be in [0, 1)")
        _require(_matches(_DIGEST_RE, self.base_digest), "base_digest must be 0x + 64 hex")
        _require(_matches(_NONCE_RE, self.nonce), "nonce must be 32 lowercase hex characters")
        for name in ("contract", "submitter"):
            value = getattr(self, name)
            _require(isinstance(value, str) and is_address(value), f"{name} is not an address")
            object.__setattr__(self, name, to_checksum_address(value))
        object.__setattr__(self, "epsilon", float(self.epsilon))
        object.__setattr__(self, "delta", float(self.delta))

    @classmethod
    def create(
        cls,
        target: UpdateTarget,
        claims: UpdateClaims,
        *,
        timestamp: int | None = None,
        nonce: str | None = None,
    ) -> UpdateHeader:
        """A header for `target` claiming `claims`, stamped with the current time and a fresh
        random nonce."""
        _require(
            isinstance(target.base_digest, bytes) and len(target.base_digest) == 32,
            "base_digest must be the 32-byte digest of the base weights",
        )
        return cls(
            model_id=target.model_id,
            base_digest="0x" + target.base_digest.hex(),
            chain_id=target.chain_id,
            contract=target.contract,
            submitter=target.submitter,
            epsilon=claims.epsilon,
            delta=claims.delta,
            n_examples=claims.n_examples,
            timestamp=int(time.time()) if timestamp is None else timestamp,
            nonce=secrets.token_hex(16) if nonce is None else nonce,
        )

    @property
    def base_digest_bytes(self) -> bytes:
        """The base weights digest as 32 raw bytes (as the contract stores it)."""
        return bytes.fromhex(self.base_digest[2:])

    def to_json(self, *, legacy: bool = False) -> bytes:
        """Canonical JSON (sorted keys, no spaces, UTF-8): the exact bytes that get signed
        (`legacy`: as fedlend-update/1 spelt them, to check an older blob's header)."""
        fields = asdict(self)
        if legacy:
            fields["num_examples"] = fields.pop("n_examples")
        return _canonical({"format": LEGACY_FORMAT if legacy else FORMAT, **fields})

    @classmethod
    def from_json(cls, raw: bytes) -> UpdateHeader:
        """Parse strictly: size cap, UTF-8, no duplicate keys or NaN, exact fields, canonical."""
        _require(len(raw) <= MAX_HEADER_BYTES, "the header is too large", reason="header-too-large")
        _require(isinstance(raw, bytes | bytearray), "the header must be bytes")
        value = loads_bounded(
            raw,
            error=_HeaderJSONError,
            what="invalid update header: the JSON",
            max_bytes=MAX_HEADER_BYTES,
            max_depth=2,
            object_pairs_hook=_no_duplicates,
        )
        _require(isinstance(value, dict), "the update header is not a JSON object")
        version = value.pop("format", None)
        _require(version in (FORMAT, LEGACY_FORMAT), f"the header format is not {FORMAT}")
        legacy = version == LEGACY_FORMAT
        if legacy and "num_examples" in value and "n_examples" not in value:
            value["n_examples"] = value.pop("num_examples")
        expected = set(cls.__dataclass_fields__)
        _require(set(value) == expected, f"the header fields are not exactly {sorted(expected)}")
        _require(
            all(
                isinstance(value[k], str) and is_checksum_address(value[k])
                for k in ("contract", "submitter")
            ),
            "header addresses must be checksummed",
        )
        header = cls(**value)
        canonical = header.to_json(legacy=legacy)
        _require(canonical == raw, "the update header is not in canonical form")
        return header


def _canonical(value: dict[str, Any]) -> bytes:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return text.encode("utf-8")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key")
    return dict(pairs)


class _HeaderJSONError(SealingError):
    """The header bytes are not bounded strict JSON (reason "bad-header")."""

    def __init__(self, message: str) -> None:
        super().__init__(message, reason="bad-header")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return finite_number(value)


def _matches(pattern: re.Pattern[str], value: object) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _require(condition: bool, message: str, *, reason: str = "bad-header") -> None:
    if not condition:
        raise SealingError(f"invalid update header: {message}", reason=reason)
