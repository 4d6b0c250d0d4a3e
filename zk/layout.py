"""A validation set as the circuit takes it: numeric columns and salt, one index per block."""

from __future__ import annotations

import numpy as np

from fedlend_core.errors import ProofError
from zk.fixed import ValidationSet
from zk.shape import CircuitShape


def circuit_inputs(data: ValidationSet) -> list[list[int]]:
    """The committed data inputs in the circuit's order: X's numeric columns then the salt, the
    one-hot blocks' indices (if any), the labels. Refused if a block is not one-hot."""
    shape = data.shape
    numeric = data.x[:, [*shape.numeric_columns, shape.features]]
    inputs = [numeric.ravel().tolist()]
    if shape.groups:
        inputs.append(block_indices(data.x, shape).ravel().tolist())
    return [*inputs, data.y.tolist()]


def block_indices(x: np.ndarray, shape: CircuitShape) -> np.ndarray:
    """rows x blocks: the lookup-table index of each row's 1 in each block; an all-zero block
    row (an unknown category) is the table's last entry, whose weight is 0."""
    columns = len(shape.one_hot_columns)
    out = np.full((x.shape[0], len(shape.groups)), columns, dtype=np.int64)
    offset = 0
    for g, (first, width) in enumerate(shape.groups):
        block = x[:, first : first + width]
        hot = block == shape.unit
        if not (hot | (block == 0)).all() or (hot.sum(axis=1) > 1).any():
            raise ProofError(
                f"columns {first}-{first + width - 1} are not one-hot (one {shape.unit} or all 0 "
                "a row): encode the categorical feature with the model's spec"
            )
        rows = np.flatnonzero(hot.any(axis=1))
        out[rows, g] = offset + hot[rows].argmax(axis=1)
        offset += width
    return out
