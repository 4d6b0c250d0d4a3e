"""CIDv1 raw-leaf sha2-256 CIDs: compute them, check content against them, map them to digests."""

from __future__ import annotations

import hashlib

from multiformats import CID, multihash

from fedlend.errors import IntegrityError, InvalidCidError
from fedlend.types import Digest

DIGEST_BYTES = 32
MAX_CID_CHARS = 128  # a base32 CIDv1 sha2-256 is 59 characters; anything far longer is junk
_CODEC = "raw"  # multicodec 0x55
_HASH = "sha2-256"  # multihash 0x12


def cid_for(data: bytes) -> str:
    """The CIDv1 (raw, sha2-256, base32 "bafkrei...") a Kubo node gives `data` as one block."""
    return digest_to_cid(Digest(hashlib.sha256(data).digest()))


def digest_to_cid(digest: bytes) -> str:
    """Rebuild the CID string from the 32-byte sha2-256 digest the contract stores."""
    if not isinstance(digest, bytes | bytearray) or len(digest) != DIGEST_BYTES:
        raise InvalidCidError(
            f"a content digest must be {DIGEST_BYTES} bytes (sha2-256), got {_describe(digest)}"
        )
    return str(CID("base32", 1, _CODEC, multihash.wrap(bytes(digest), _HASH)))


def cid_to_digest(cid: str) -> Digest:
    """The 32-byte sha2-256 digest inside a CIDv1 raw CID (what goes on-chain)."""
    return Digest(bytes(_parse(cid).raw_digest))


def normalize_cid(cid: str) -> str:
    """Validate `cid` and return it in canonical form (CIDv1, base32), whatever base it came in."""
    return str(_parse(cid).set(base="base32"))


def verify_content(cid: str, data: bytes) -> None:
    """Raise IntegrityError unless `data` hashes to exactly the digest inside `cid`."""
    expected = cid_to_digest(cid)
    actual = hashlib.sha256(data).digest()
    if actual != expected:
        raise IntegrityError(
            f"content fetched for {normalize_cid(cid)} does not match its CID "
            f"({len(data)} bytes hash to {digest_to_cid(Digest(actual))}): it was tampered with "
            "or truncated; fetch it again from a trusted store"
        )


def _parse(cid: str) -> CID:
    if not isinstance(cid, str) or not cid or len(cid) > MAX_CID_CHARS:
        raise InvalidCidError(f"not a CID: {_describe(cid)}")
    try:
        parsed = CID.decode(cid.strip())
    except Exception as exc:  # multiformats raises a zoo of types (IndexError, MultihashValueError)
        raise InvalidCidError(f"not a valid CID: {cid!r} ({exc})") from exc
    if parsed.version != 1 or parsed.codec.name != _CODEC or parsed.hashfun.name != _HASH:
        raise InvalidCidError(
            f"{cid!r} is a CIDv{parsed.version} {parsed.codec.name}/{parsed.hashfun.name} CID; "
            "fedlend only stores CIDv1 raw sha2-256 blocks (ipfs add --cid-version=1 "
            "--raw-leaves) so that a 32-byte digest rebuilds the CID"
        )
    if len(parsed.raw_digest) != DIGEST_BYTES:
        raise InvalidCidError(f"{cid!r} carries a truncated sha2-256 digest")
    return parsed


def _describe(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return f"{len(value)} bytes"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
