"""CID helpers: known vectors, digest round trips, and refusal of every other kind of CID."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multiformats import CID, multihash

from fedlend.errors import IntegrityError, InvalidCidError
from fedlend.storage.cid import (
    cid_for,
    cid_to_digest,
    digest_to_cid,
    normalize_cid,
    verify_content,
)

HELLO_CID = "bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq"  # `ipfs add` of b"hello"
EMPTY_CID = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


@pytest.mark.parametrize(("data", "cid"), [(b"hello", HELLO_CID), (b"", EMPTY_CID)])
def test_known_vectors(data: bytes, cid: str) -> None:
    assert cid_for(data) == cid
    assert cid_to_digest(cid) == hashlib.sha256(data).digest()


@given(st.binary(max_size=4096))
def test_cid_digest_round_trip(data: bytes) -> None:
    cid = cid_for(data)
    digest = cid_to_digest(cid)
    assert len(digest) == 32
    assert digest == hashlib.sha256(data).digest()
    assert digest_to_cid(digest) == cid
    assert cid.startswith("bafkrei")


def test_other_bases_normalize_to_base32() -> None:
    base58 = str(CID.decode(HELLO_CID).set(base="base58btc"))
    assert base58.startswith("z")
    assert normalize_cid(base58) == HELLO_CID
    assert cid_to_digest(base58) == cid_to_digest(HELLO_CID)


def _cid(version: int, codec: str, hashfun: str, data: bytes = b"hello") -> str:
    base = "base58btc" if version == 0 else "base32"
    return str(CID(base, version, codec, multihash.digest(data, hashfun)))


@pytest.mark.parametrize(
    ("cid", "match"),
    [
        (_cid(0, "dag-pb", "sha2-256"), "CIDv0"),
        (_cid(1, "dag-pb", "sha2-256"), "dag-pb"),
        (_cid(1, "dag-cbor", "sha2-256"), "dag-cbor"),
        (_cid(1, "raw", "sha2-512"), "sha2-512"),
        (_cid(1, "raw", "sha3-256"), "sha3-256"),
        ("", "not a CID"),
        ("hello", "not a valid CID"),
        ("b", "not a valid CID"),
        (HELLO_CID[:-3], "not a valid CID"),
        (HELLO_CID + "a", "not a valid CID"),
        ("b" + "a" * 500, "not a CID"),
        (None, "not a CID"),
        (b"bafkrei", "not a CID"),
    ],
)
def test_rejects_cids_a_digest_cannot_rebuild(cid: object, match: str) -> None:
    with pytest.raises(InvalidCidError, match=match):
        cid_to_digest(cid)  # type: ignore[arg-type]
    with pytest.raises(InvalidCidError):
        normalize_cid(cid)  # type: ignore[arg-type]


@pytest.mark.parametrize("digest", [b"", b"\x01" * 31, b"\x01" * 33, "ab" * 32, None])
def test_rejects_digests_of_the_wrong_size(digest: object) -> None:
    with pytest.raises(InvalidCidError, match="32 bytes"):
        digest_to_cid(digest)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "data",
    [b"hellO", b"hell", b"hello\x00", b""],
    ids=["flipped", "truncated", "extended", "empty"],
)
def test_verify_content_rejects_other_bytes(data: bytes) -> None:
    verify_content(HELLO_CID, b"hello")
    with pytest.raises(IntegrityError, match="tampered with or truncated"):
        verify_content(HELLO_CID, data)
