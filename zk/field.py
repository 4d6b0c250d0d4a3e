"""BN254 field elements as EZKL writes them, and the G1 points of its KZG data commitments."""

from __future__ import annotations

from fedlend_core.errors import ProofError

# The scalar field of BN254 (EZKL's felts) and the base field of its G1 curve (y^2 = x^3 + 3).
SCALAR_FIELD = 0x30644E72E131A029B85045B68181585D2833E84879B9709143E1F593F0000001
BASE_FIELD = 0x30644E72E131A029B85045B68181585D97816A916871CA8D3C208C16D87CFD47
WORD = 32


def felt_from_hex(text: object) -> int:
    """A felt from EZKL's JSON form: 64 hex digits, little-endian; refused unless in the field."""
    if not isinstance(text, str) or len(text) != 2 * WORD:
        raise ProofError("a field element is not 64 hex digits: regenerate the proof")
    try:
        value = int.from_bytes(bytes.fromhex(text), "little")
    except ValueError as exc:
        raise ProofError("a field element is not hex: regenerate the proof") from exc
    if value >= SCALAR_FIELD:
        raise ProofError("a field element is not below the BN254 modulus: regenerate the proof")
    return value


def word(value: int) -> bytes:
    """A felt as the 32-byte big-endian word the EVM reads."""
    return value.to_bytes(WORD, "big")


def g1_point(compressed_hex: object) -> bytes:
    """The 64-byte (x, y) big-endian form of a compressed G1 point, as it sits in an EVM proof."""
    if not isinstance(compressed_hex, str) or len(compressed_hex) != 2 * WORD:
        raise ProofError("a commitment is not a 32-byte compressed point: regenerate the witness")
    raw = bytes.fromhex(compressed_hex)
    odd = raw[-1] >> 7 & 1
    x = int.from_bytes(raw, "little") & ((1 << 254) - 1)
    rhs = (pow(x, 3, BASE_FIELD) + 3) % BASE_FIELD
    y = pow(rhs, (BASE_FIELD + 1) // 4, BASE_FIELD)
    if x >= BASE_FIELD or y * y % BASE_FIELD != rhs:
        raise ProofError("a commitment is not a point on BN254: regenerate the witness")
    if y & 1 != odd:
        y = BASE_FIELD - y
    return word(x) + word(y)
