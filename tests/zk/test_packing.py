"""Public weights packed five to a word: exact round trips and hostile words refused."""

from __future__ import annotations

import random

import pytest

from fedlend.errors import ProofError
from zk.packing import HIGHEST, LOWEST, OFFSET, pack, unpack, word_count


@pytest.mark.parametrize("count", [1, 4, 5, 6, 149], ids=lambda c: f"{c} weights")
def test_weights_round_trip_through_their_words(count: int) -> None:
    rng = random.Random(count)
    weights = [rng.randint(LOWEST, HIGHEST) for _ in range(count)]
    weights[0], weights[-1] = LOWEST, HIGHEST
    words = pack(weights)
    assert len(words) == word_count(count) == -(-count // 5)
    assert all(0 <= w < 1 << 125 for w in words)
    assert unpack(words, count) == tuple(weights)


def test_a_zero_weight_is_the_middle_leg() -> None:
    assert pack([0]) == [sum(OFFSET << (25 * i) for i in range(5))]


@pytest.mark.parametrize("weight", [LOWEST - 1, HIGHEST + 1], ids=["below", "above"])
def test_a_weight_outside_the_range_is_refused(weight: int) -> None:
    with pytest.raises(ProofError, match="outside"):
        pack([0, weight])


@pytest.mark.parametrize(
    ("words", "count", "problem"),
    [
        ([0, 0], 5, "1 words"),
        ([1 << 125], 5, "out of range"),
        ([-1], 5, "out of range"),
        (pack([1, 2, 3, 4, 5]), 4, "non-zero"),
    ],
    ids=["too many words", "a sixth leg", "negative", "a weight in the padding"],
)
def test_a_hostile_word_is_refused(words: list[int], count: int, problem: str) -> None:
    with pytest.raises(ProofError, match=problem):
        unpack(words, count)
