"""A circuit's shape: rows, features and which columns form one-hot blocks (categorical)."""

from __future__ import annotations

from dataclasses import dataclass

from fedlend_core.errors import ProofError
from zk.packing import word_count

MAX_ROWS = 1 << 16
MAX_FEATURES = 1024
MAX_UNIT = 1 << 24


@dataclass(frozen=True)
class CircuitShape:
    """Rows of the validation set and features of the logistic regression (salt not counted).

    `groups`: the one-hot blocks as (first column, width), in column order; every row of a
    block holds at most one `unit` (a one-hot 1 as encoded), the rest 0. Other columns are
    numeric."""

    rows: int
    features: int
    groups: tuple[tuple[int, int], ...] = ()
    unit: int = 16

    def __post_init__(self) -> None:
        if not 2 <= self.rows <= MAX_ROWS or not 1 <= self.features <= MAX_FEATURES:
            raise ProofError(
                f"a circuit needs 2..{MAX_ROWS} rows and 1..{MAX_FEATURES} features, "
                f"not {self.rows} x {self.features}: use a smaller validation set"
            )
        if not 1 <= self.unit <= MAX_UNIT:
            raise ProofError(f"a one-hot unit must be 1..{MAX_UNIT}, not {self.unit}")
        end = 0
        for first, width in self.groups:
            if first < end or width < 1 or first + width > self.features:
                raise ProofError(
                    f"one-hot blocks must be ordered, disjoint and inside the {self.features} "
                    f"columns, not {self.groups!r:.120}: check the spec's categorical features"
                )
            end = first + width

    @property
    def weight_count(self) -> int:
        """Public weights: the features' weights and the bias."""
        return self.features + 1

    @property
    def word_count(self) -> int:
        """The public words holding the weights and the bias, five to a word."""
        return word_count(self.weight_count)

    @property
    def instance_count(self) -> int:
        """Public outputs: the weight words, the rank sum R and P."""
        return self.word_count + 2

    @property
    def one_hot_columns(self) -> tuple[int, ...]:
        """The columns inside one-hot blocks, in order (their weights form the lookup table)."""
        return tuple(c for first, width in self.groups for c in range(first, first + width))

    @property
    def numeric_columns(self) -> tuple[int, ...]:
        """The columns multiplied by their weights (the salt not counted)."""
        inside = set(self.one_hot_columns)
        return tuple(c for c in range(self.features) if c not in inside)

    @property
    def data_inputs(self) -> int:
        """How many committed inputs hold the validation set: X, the block indices if any, y."""
        return 3 if self.groups else 2
