"""A proof's public outputs (packed weights, rank sum, P) and the score the contract recomputes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from fedlend_core.errors import ProofError
from zk.field import word
from zk.packing import pack, unpack
from zk.shape import CircuitShape

BPS = 10_000


@dataclass(frozen=True)
class PublicOutputs:
    """What a proof makes public, as integers (weights signed, the bias last)."""

    weights: tuple[int, ...]
    rank_sum: int  # R_up + R_lo: the defaults' rank sums with ties counted above and below
    positives: int

    @classmethod
    def from_instances(cls, instances: list[int], shape: CircuitShape) -> PublicOutputs:
        """Parse the felts of a proof for `shape`; refused if the count is wrong."""
        if len(instances) != shape.instance_count:
            raise ProofError(
                f"a proof for this circuit has {shape.instance_count} public outputs, "
                f"not {len(instances)}: it was made for another circuit"
            )
        words = shape.word_count
        return cls(
            weights=unpack(list(instances[:words]), shape.weight_count),
            rank_sum=instances[words],
            positives=instances[words + 1],
        )

    def instances(self) -> list[int]:
        """The felts again, in the proof's order."""
        return [*pack(self.weights), self.rank_sum, self.positives]


def score_bps(outputs: PublicOutputs, rows: int) -> int:
    """AUC in bps rounded down, exactly as RoundVerifier computes it; refused if impossible."""
    p, n = outputs.positives, rows
    total = outputs.rank_sum
    least, pairs2 = p * (p + 1), 2 * p * (n - p)
    if not 0 < p < n or not least <= total <= least + pairs2:
        raise ProofError("the proof's outputs are not a rank sum: it was made for another circuit")
    return (total - least) * BPS // pairs2


def weights_blob(weights: tuple[int, ...] | list[int]) -> bytes:
    """The proven weights as the contract hashes them: the packed words (bias last) as 32-byte
    big-endian felts."""
    return b"".join(word(w) for w in pack(weights))


def weights_digest(weights: tuple[int, ...] | list[int]) -> bytes:
    """sha256 of weights_blob: the newWeights a verified round records."""
    return hashlib.sha256(weights_blob(weights)).digest()


def parse_weights_blob(blob: bytes, shape: CircuitShape) -> tuple[int, ...]:
    """Signed integer weights from a weights blob (hostile: length and every word checked)."""
    if len(blob) != 32 * shape.word_count:
        raise ProofError(f"a weights blob for this circuit is {32 * shape.word_count} bytes")
    words = [int.from_bytes(blob[i : i + 32], "big") for i in range(0, len(blob), 32)]
    return unpack(words, shape.weight_count)


def rank_sums(z: np.ndarray, labels: np.ndarray) -> tuple[int, int, int]:
    """(R_up, R_lo, P) computed directly: the reference the circuit must match."""
    order_up = np.lexsort((labels, z))  # ties: non-defaults first, defaults ranked higher
    order_lo = np.lexsort((-labels, z))
    ranks = np.arange(1, len(z) + 1)
    r_up = int(ranks[labels[order_up] == 1].sum())
    r_lo = int(ranks[labels[order_lo] == 1].sum())
    return r_up, r_lo, int(labels.sum())
