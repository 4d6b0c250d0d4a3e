"""The circuit's one-hot blocks: indices from a dense set, refusals, and proofs that match."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from fedlend.errors import ProofError
from zk.fixed import ValidationSet, scores
from zk.keys import CircuitKeys
from zk.layout import block_indices, circuit_inputs
from zk.outputs import rank_sums
from zk.prover import prove
from zk.shape import CircuitShape

UNIT = 16


def _set(block: list[list[int]]) -> ValidationSet:
    """Two numeric columns, then a block of three, then the salt."""
    rows = len(block)
    numeric = np.arange(2 * rows).reshape(rows, 2)
    x = np.hstack([numeric, np.array(block), np.full((rows, 1), 7)])
    return ValidationSet(x=x, y=np.array([0, 1] * (rows // 2)), groups=((2, 3),), unit=UNIT)


def test_each_row_commits_the_table_index_of_its_category() -> None:
    data = _set([[UNIT, 0, 0], [0, 0, UNIT], [0, UNIT, 0], [0, 0, 0]])
    assert block_indices(data.x, data.shape).ravel().tolist() == [0, 2, 1, 3]  # 3: no category
    numeric, indices, labels = circuit_inputs(data)
    assert numeric == [0, 1, 7, 2, 3, 7, 4, 5, 7, 6, 7, 7]  # numeric columns, then the salt
    assert (indices, labels) == ([0, 2, 1, 3], [0, 1, 0, 1])


def test_indices_run_on_across_blocks() -> None:
    shape = CircuitShape(rows=2, features=5, groups=((0, 2), (2, 3)), unit=UNIT)
    x = np.array([[0, UNIT, 0, 0, UNIT, 9], [UNIT, 0, 0, 0, 0, 9]])
    assert block_indices(x, shape).tolist() == [[1, 4], [0, 5]]


@pytest.mark.parametrize(
    "row",
    [[UNIT, UNIT, 0], [2 * UNIT, 0, 0], [0, -UNIT, 0], [0, 1, 0]],
    ids=["two categories", "a double one", "a negative one", "a fraction"],
)
def test_a_block_that_is_not_one_hot_is_refused(row: list[int]) -> None:
    data = _set([[UNIT, 0, 0], row])
    with pytest.raises(ProofError, match="not one-hot"):
        circuit_inputs(data)


@pytest.mark.parametrize(
    ("groups", "unit"),
    [
        (((0, 2), (1, 2)), UNIT),
        (((3, 2),), UNIT),
        (((0, 0),), UNIT),
        (((2, 1), (0, 1)), UNIT),
        (((0, 2),), 0),
    ],
    ids=["overlapping", "past the last column", "empty", "out of order", "a zero unit"],
)
def test_a_bad_block_layout_is_refused(groups: tuple[tuple[int, int], ...], unit: int) -> None:
    with pytest.raises(ProofError):
        CircuitShape(rows=4, features=4, groups=groups, unit=unit)


def test_the_block_columns_and_the_numeric_ones_partition_the_features() -> None:
    shape = CircuitShape(rows=4, features=7, groups=((1, 2), (4, 2)), unit=UNIT)
    assert shape.one_hot_columns == (1, 2, 4, 5)
    assert shape.numeric_columns == (0, 3, 6)
    assert shape.data_inputs == 3
    assert CircuitShape(rows=4, features=7).data_inputs == 2


def test_an_unknown_category_is_scored_as_the_dense_set_would(
    zk_sets: tuple[ValidationSet, ValidationSet], zk_weights: np.ndarray, zk_keys: CircuitKeys
) -> None:
    data = zk_sets[0]
    assert data.shape.groups, "the tests' circuit must have a one-hot block"
    x = data.x.copy()
    first, width = data.shape.groups[0]
    x[:5, first : first + width] = 0  # five loans of a category the spec never saw
    unknown = replace(data, x=x)
    r_up, r_lo, positives = rank_sums(scores(unknown, zk_weights), unknown.y)
    outputs = prove(unknown, zk_weights, zk_keys).outputs(zk_keys)
    assert (outputs.rank_sum, outputs.positives) == (r_up + r_lo, positives)
