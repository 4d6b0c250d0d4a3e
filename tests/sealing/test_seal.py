"""Sealed updates: only the lender can read them, and only the right owner's blob for the right
model, chain and contract is accepted; everything else is refused with a reason."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.public import PublicKey, SealedBox
from safetensors.numpy import save

from fedlend.errors import SealingError
from fedlend.sealing import (
    INNER_MAGIC,
    SEAL_MAGIC,
    OpenedUpdate,
    Submission,
    UpdateClaims,
    UpdateHeader,
    UpdateTarget,
    hkdf_sha256,
    lender_encryption_keypair,
    open_update,
    parse_public_key,
    public_key_text,
    seal_update,
)
from fedlend.sealing.header import MAX_HEADER_BYTES
from fedlend.storage import ContentStore

LENDER = Account.from_key("0x" + "a1" * 32)
OWNER = Account.from_key("0x" + "b2" * 32)
MALLORY = Account.from_key("0x" + "c3" * 32)
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
CHAIN_ID = 31337
MODEL_ID = 7
KEYS = lender_encryption_keypair(LENDER)


def _payload() -> bytes:
    """Real safetensors bytes, as fl produces for an update (a 20-feature logistic model)."""
    rng = np.random.default_rng(0)
    return save(
        {
            "linear.weight": rng.normal(size=(1, 20)).astype(np.float32),
            "linear.bias": np.array([0.25], dtype=np.float32),
        }
    )


PAYLOAD = _payload()


def _header(**changes: object) -> UpdateHeader:
    fields: dict[str, object] = {
        "model_id": MODEL_ID,
        "base_digest": b"\x42" * 32,
        "chain_id": CHAIN_ID,
        "contract": CONTRACT,
        "submitter": OWNER.address,
        "epsilon": 2.5,
        "delta": 1e-5,
        "n_examples": 4096,
    }
    fields.update(changes)
    claims = {k: fields.pop(k) for k in ("epsilon", "delta", "n_examples")}
    stamps = {k: fields.pop(k) for k in ("timestamp", "nonce") if k in fields}
    return UpdateHeader.create(UpdateTarget(**fields), UpdateClaims(**claims), **stamps)  # type: ignore[arg-type]


def _open(blob: bytes, **changes: object) -> OpenedUpdate:
    """open_update with this file's lender and submission; `expected_<field>` changes a fact."""
    facts: dict[str, object] = {
        "submitter": OWNER.address,
        "model_id": MODEL_ID,
        "chain_id": CHAIN_ID,
        "contract": CONTRACT,
    }
    for name in [n for n in changes if n.startswith("expected_")]:
        facts[name.removeprefix("expected_")] = changes.pop(name)
    options: dict[str, object] = {"lender_private_key": KEYS.private, **changes}
    return open_update(blob, expected=Submission(**facts), **options)  # type: ignore[arg-type]


def _seal(header: UpdateHeader | None = None, payload: bytes = PAYLOAD) -> bytes:
    return seal_update(
        payload=payload, header=header or _header(), owner=OWNER, lender_public_key=KEYS.public
    )


def _forge(
    header_bytes: bytes,
    signer: LocalAccount,
    payload: bytes = PAYLOAD,
    *,
    signed_payload: bytes | None = None,
    header_len: int | None = None,
) -> bytes:
    """Build a blob by hand the way an attacker who knows the format would."""
    from fedlend.sealing.seal import _signable  # the exact message an honest owner signs

    message = _signable(header_bytes, payload if signed_payload is None else signed_payload)
    signature = bytes(signer.sign_message(message).signature)
    length = len(header_bytes) if header_len is None else header_len
    inner = INNER_MAGIC + length.to_bytes(4, "big") + header_bytes + signature + payload
    return SEAL_MAGIC + bytes(SealedBox(PublicKey(KEYS.public)).encrypt(inner))


def test_round_trip() -> None:
    header = _header()
    opened = _open(_seal(header))
    assert opened.header == header
    assert opened.payload == PAYLOAD
    assert opened.signer == OWNER.address


def test_lender_keys_are_deterministic_and_distinct() -> None:
    again = lender_encryption_keypair(Account.from_key(LENDER.key))
    assert again == KEYS
    assert lender_encryption_keypair(OWNER).public != KEYS.public
    assert len(KEYS.private) == len(KEYS.public) == 32
    assert parse_public_key(public_key_text(KEYS.public)) == KEYS.public
    assert KEYS.private.hex() not in repr(KEYS)
    assert public_key_text(KEYS.private) not in repr(KEYS)
    assert public_key_text(KEYS.public) in repr(KEYS)


def test_hkdf_matches_rfc5869_case_1() -> None:
    okm = hkdf_sha256(
        bytes.fromhex("0b" * 22),
        salt=bytes.fromhex("000102030405060708090a0b0c"),
        info=bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"),
        length=42,
    )
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )


def test_nobody_but_the_lender_can_read_it(store: ContentStore) -> None:
    header = _header()
    cid = store.put(_seal(header))
    fetched = store.get(cid)  # what any third party holding the CID gets
    for secret in (
        PAYLOAD,
        PAYLOAD[8:40],
        header.to_json(),
        b"linear.weight",
        OWNER.address.encode(),
        OWNER.address[2:].lower().encode(),
    ):
        assert secret not in fetched
    for key in (
        lender_encryption_keypair(MALLORY).private,
        lender_encryption_keypair(OWNER).private,
    ):
        with pytest.raises(SealingError) as info:
            _open(fetched, lender_private_key=key)
        assert info.value.reason == "undecryptable"
    assert _open(fetched).payload == PAYLOAD


def test_each_seal_is_fresh() -> None:
    assert _seal() != _seal()
    assert _header().nonce != _header().nonce


REPLAYS = [
    ({"expected_model_id": MODEL_ID + 1}, "wrong-model"),
    ({"expected_chain_id": 1}, "wrong-chain"),
    ({"expected_contract": "0x" + "12" * 20}, "wrong-contract"),
    ({"expected_submitter": MALLORY.address}, "wrong-submitter"),
]


@pytest.mark.parametrize(("expected", "reason"), REPLAYS, ids=[r for _, r in REPLAYS])
def test_copied_or_replayed_blob_is_refused(expected: dict[str, object], reason: str) -> None:
    with pytest.raises(SealingError) as info:
        _open(_seal(), **expected)
    assert info.value.reason == reason


def test_addresses_compare_case_insensitively() -> None:
    opened = _open(
        _seal(),
        expected_submitter=OWNER.address.lower(),
        expected_contract=CONTRACT.upper().replace("0X", "0x"),
    )
    assert opened.signer == OWNER.address


def test_seen_nonce_is_a_replay() -> None:
    header = _header()
    blob = _seal(header)
    _open(blob, seen_nonces={"0" * 32})
    with pytest.raises(SealingError) as info:
        _open(blob, seen_nonces={header.nonce})
    assert info.value.reason == "replayed"


def test_owner_cannot_seal_a_header_naming_someone_else() -> None:
    with pytest.raises(SealingError) as info:
        seal_update(
            payload=PAYLOAD,
            header=_header(submitter=MALLORY.address),
            owner=OWNER,
            lender_public_key=KEYS.public,
        )
    assert info.value.reason == "wrong-signer"


FORGERIES: list[tuple[str, Callable[[], bytes], str]] = [
    ("signed-by-mallory", lambda: _forge(_header().to_json(), MALLORY), "wrong-signer"),
    (
        "payload-swapped",
        lambda: _forge(_header().to_json(), OWNER, signed_payload=b"other"),
        "wrong-signer",
    ),
    (
        "header-length-lies",
        lambda: _forge(_header().to_json(), OWNER, header_len=10**6),
        "header-too-large",
    ),
    ("header-too-large", lambda: _forge(b" " * (MAX_HEADER_BYTES + 1), OWNER), "header-too-large"),
    (
        "truncated-inside",
        lambda: _forge(_header().to_json(), OWNER, b"", header_len=4000),
        "malformed",
    ),
    ("header-not-json", lambda: _forge(b"\x80\x81 not json", OWNER), "bad-header"),
]


@pytest.mark.parametrize(
    ("make", "reason"), [(m, r) for _, m, r in FORGERIES], ids=[n for n, _, _ in FORGERIES]
)
def test_forged_blobs_are_refused(make: Callable[[], bytes], reason: str) -> None:
    with pytest.raises(SealingError) as info:
        _open(make())
    assert info.value.reason == reason


def test_honest_forge_helper_opens() -> None:  # proves the forgeries above differ in one way only
    assert _open(_forge(_header().to_json(), OWNER)).payload == PAYLOAD


def _flip(blob: bytes, index: int) -> bytes:
    return blob[:index] + bytes([blob[index] ^ 0x01]) + blob[index + 1 :]


TAMPERS: list[tuple[str, Callable[[bytes], bytes], str]] = [
    ("magic", lambda b: _flip(b, 0), "not-sealed"),
    ("ephemeral-key", lambda b: _flip(b, len(SEAL_MAGIC) + 3), "undecryptable"),
    ("mac", lambda b: _flip(b, len(SEAL_MAGIC) + 40), "undecryptable"),
    ("body", lambda b: _flip(b, len(b) // 2), "undecryptable"),
    ("last-byte", lambda b: _flip(b, len(b) - 1), "undecryptable"),
    ("truncated-end", lambda b: b[:-1], "undecryptable"),
    ("truncated-half", lambda b: b[: len(b) // 2], "undecryptable"),
    ("only-magic", lambda b: b[: len(SEAL_MAGIC)], "undecryptable"),
    ("empty", lambda _b: b"", "not-sealed"),
    ("extended", lambda b: b + b"\x00", "undecryptable"),
    ("plain-payload", lambda _b: PAYLOAD, "not-sealed"),
]


@pytest.mark.parametrize(
    ("damage", "reason"), [(d, r) for _, d, r in TAMPERS], ids=[n for n, _, _ in TAMPERS]
)
def test_tampered_or_truncated_blob_is_refused(
    damage: Callable[[bytes], bytes], reason: str
) -> None:
    with pytest.raises(SealingError) as info:
        _open(damage(_seal()))
    assert info.value.reason == reason


def test_oversize_is_refused_both_ways() -> None:
    with pytest.raises(SealingError) as info:
        _seal(payload=b"\x00" * (1 << 20))
    assert info.value.reason == "too-large"
    blob = _seal()
    with pytest.raises(SealingError) as info:
        _open(blob, max_blob_bytes=len(blob) - 1)
    assert info.value.reason == "too-large"
    assert _open(blob, max_blob_bytes=len(blob)).payload == PAYLOAD


def _canonical(fields: dict[str, object]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def _fields(**changes: object) -> dict[str, object]:
    fields = json.loads(_header().to_json())
    fields.update(changes)
    return fields


BAD_HEADERS: list[tuple[str, bytes]] = [
    ("duplicate-key", _header().to_json()[:-1] + b',"model_id":8}'),
    ("nan", _header().to_json().replace(b'"epsilon":2.5', b'"epsilon":NaN')),
    ("infinity", _header().to_json().replace(b'"epsilon":2.5', b'"epsilon":Infinity')),
    ("extra-field", _canonical(_fields(note="hi"))),
    ("missing-field", _canonical({k: v for k, v in _fields().items() if k != "delta"})),
    ("wrong-format", _canonical(_fields(format="fedlend-update/3"))),
    ("bool-model", _canonical(_fields(model_id=True))),
    ("float-model", _canonical(_fields(model_id=7.0))),
    ("string-examples", _canonical(_fields(n_examples="4096"))),
    ("zero-examples", _canonical(_fields(n_examples=0))),
    ("negative-epsilon", _canonical(_fields(epsilon=-1.0))),
    ("delta-one", _canonical(_fields(delta=1.0))),
    ("short-digest", _canonical(_fields(base_digest="0x" + "42" * 31))),
    ("short-nonce", _canonical(_fields(nonce="ab"))),
    ("lowercase-address", _canonical(_fields(submitter=OWNER.address.lower()))),
    ("not-an-address", _canonical(_fields(contract="0x1234"))),
    ("spaces", json.dumps(_fields(), sort_keys=True).encode()),
    (
        "unsorted",
        json.dumps(dict(reversed(list(_fields().items()))), separators=(",", ":")).encode(),
    ),
    ("array", b"[1,2,3]"),
    ("bad-utf8", b'{"model_id":"\xff"}'),
    ("too-large", b"{" + b" " * MAX_HEADER_BYTES + b"}"),
    ("huge-epsilon", _header().to_json().replace(b'"epsilon":2.5', b'"epsilon":1' + b"0" * 400)),
    ("huge-int-text", _header().to_json().replace(b'"epsilon":2.5', b'"epsilon":' + b"9" * 4400)),
    ("float-overflow", _header().to_json().replace(b'"epsilon":2.5', b'"epsilon":1e400')),
    ("list-address", _canonical(_fields(submitter=[OWNER.address]))),
    ("number-nonce", _canonical(_fields(nonce=12))),
    ("deep", b"[" * 4000 + b"]" * 4000),
]


@pytest.mark.parametrize("raw", [raw for _, raw in BAD_HEADERS], ids=[n for n, _ in BAD_HEADERS])
def test_header_json_is_parsed_strictly(raw: bytes) -> None:
    with pytest.raises(SealingError, match="header"):
        UpdateHeader.from_json(raw)


def test_strictly_bad_header_is_refused_even_when_properly_signed() -> None:
    raw = _canonical(_fields(note="smuggled"))
    with pytest.raises(SealingError) as info:
        _open(_forge(raw, OWNER))
    assert info.value.reason == "bad-header"


def test_canonical_header_parses_back() -> None:
    header = _header()
    assert UpdateHeader.from_json(header.to_json()) == header
    assert header.base_digest_bytes == b"\x42" * 32


@pytest.mark.parametrize(
    "changes",
    [
        {"model_id": -1},
        {"chain_id": 0},
        {"epsilon": float("inf")},
        {"delta": -0.1},
        {"base_digest": b"\x00" * 31},
        {"contract": "not an address"},
        {"n_examples": 2.5},
        {"nonce": "XYZ"},
    ],
    ids=lambda c: next(iter(c)),
)
def test_header_refuses_bad_values(changes: dict[str, object]) -> None:
    with pytest.raises(SealingError, match="invalid update header"):
        _header(**changes)


@pytest.mark.parametrize("key", [b"\x01" * 31, b"", "ab" * 16])
def test_bad_lender_keys(key: object) -> None:
    with pytest.raises(SealingError, match="32 raw bytes"):
        seal_update(payload=PAYLOAD, header=_header(), owner=OWNER, lender_public_key=key)  # type: ignore[arg-type]
    with pytest.raises(SealingError, match="32 raw bytes"):
        _open(_seal(), lender_private_key=key)


@pytest.mark.parametrize("text", ["", "not base64!", "AAAA", public_key_text(KEYS.public)[:-4]])
def test_bad_public_key_text(text: str) -> None:
    with pytest.raises(SealingError):
        parse_public_key(text)


def test_safetensors_payload_survives_byte_for_byte() -> None:
    from safetensors.numpy import load

    opened = _open(_seal())
    tensors = load(opened.payload)
    assert tensors["linear.bias"].tolist() == [0.25]
    assert tensors["linear.weight"].shape == (1, 20)


HEADER_BYTES = _header().to_json()
HEADER_PREFIXES = st.integers(0, len(HEADER_BYTES) - 1).map(lambda n: HEADER_BYTES[:n])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=700) | HEADER_PREFIXES)
def test_header_parser_only_ever_raises_sealing_error(raw: bytes) -> None:
    with pytest.raises(SealingError):
        UpdateHeader.from_json(raw)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_blobs_only_ever_raise_sealing_error(junk: bytes) -> None:
    for blob in (junk, SEAL_MAGIC + junk):
        with pytest.raises(SealingError):
            _open(blob)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=600))
def test_arbitrary_decrypted_envelopes_only_ever_raise_sealing_error(inner: bytes) -> None:
    blob = SEAL_MAGIC + bytes(SealedBox(PublicKey(KEYS.public)).encrypt(INNER_MAGIC + inner))
    with pytest.raises(SealingError):
        _open(blob)


def test_a_legacy_header_spelling_num_examples_still_parses() -> None:
    header = _header()
    legacy = header.to_json(legacy=True)
    assert b'"format":"fedlend-update/1"' in legacy
    assert b'"num_examples":4096' in legacy
    assert b"num_examples" not in header.to_json()
    assert UpdateHeader.from_json(legacy) == header  # older sealed blobs stay readable
    fields = json.loads(legacy)
    fields["n_examples"] = fields.pop("num_examples")  # the new name under the old format
    with pytest.raises(SealingError, match="canonical"):
        UpdateHeader.from_json(_canonical(fields))
    fields = json.loads(header.to_json())
    fields["num_examples"] = fields.pop("n_examples")  # the old name under the new format
    with pytest.raises(SealingError, match="exactly"):
        UpdateHeader.from_json(_canonical(fields))
