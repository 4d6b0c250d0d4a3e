"""Public weights packed five to a field element: fewer public inputs, less verification gas.

Each weight w (|w| < 2^24, the bias last, zero-padded to a multiple of five) becomes the leg
w + 2^24 of 25 bits; a word is sum_i leg_i 2^(25 i), leg 0 lowest (125 bits: below the field
and EZKL's 128-bit integers). The circuit proves every weight lies in [-2^24, 2^24 - 1] (a sort
of the weights between those two ends, zk/circuit.py), so a word has exactly one reading.
"""

from __future__ import annotations

from fedlend_core.errors import ProofError

LEG_BITS = 25
LEGS = 5
OFFSET = 1 << (LEG_BITS - 1)  # the leg of a zero weight; weights lie in [-OFFSET, OFFSET - 1]
LOWEST, HIGHEST = -OFFSET, OFFSET - 1
WORD_LIMIT = 1 << (LEG_BITS * LEGS)


def word_count(weights: int) -> int:
    """How many words hold `weights` weights."""
    return -(-weights // LEGS)


def pack(weights: tuple[int, ...] | list[int]) -> list[int]:
    """The words of signed integer weights; refused if one is out of the circuit's range."""
    if any(not LOWEST <= int(w) <= HIGHEST for w in weights):
        raise ProofError(f"a weight is outside [{LOWEST}, {HIGHEST}]: check the model's weights")
    legs = [int(w) + OFFSET for w in weights]
    legs += [OFFSET] * (LEGS * word_count(len(legs)) - len(legs))
    return [
        sum(leg << (LEG_BITS * i) for i, leg in enumerate(legs[j : j + LEGS]))
        for j in range(0, len(legs), LEGS)
    ]


def unpack(words: list[int], count: int) -> tuple[int, ...]:
    """`count` signed weights from words (hostile: each word below 2^125, the padding zero)."""
    if len(words) != word_count(count):
        raise ProofError(
            f"{count} weights are packed in {word_count(count)} words, not {len(words)}"
        )
    if any(not 0 <= word < WORD_LIMIT for word in words):
        raise ProofError("a packed weight word is out of range: it was not made by this circuit")
    mask = (1 << LEG_BITS) - 1
    weights = [(word >> (LEG_BITS * i) & mask) - OFFSET for word in words for i in range(LEGS)]
    if any(weights[count:]):
        raise ProofError("a packed weight word pads with a non-zero weight: fetch it again")
    return tuple(weights[:count])
