"""Fixed-point encoding of a validation set and of weights for the integer circuit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np

from fedlend_core.errors import ProofError
from zk.shape import CircuitShape

SALT_BITS = 16


@dataclass(frozen=True)
class FixedPoint:
    """Features are rounded to 1/2**feature_bits, weights to 1/2**weight_bits."""

    feature_bits: int = 4
    weight_bits: int = 8
    limit: int = 1 << 24  # per feature and weight; zk.prover.check_span bounds X w + b


@dataclass(frozen=True)
class ValidationSet:
    """The integer, salted validation set the lender commits to: x is rows x (features + 1);
    `groups` are its one-hot blocks (first column, width), each 1 encoded as `unit`."""

    x: np.ndarray
    y: np.ndarray
    groups: tuple[tuple[int, int], ...] = ()
    unit: int = 16

    @property
    def shape(self) -> CircuitShape:
        """The circuit this set fits."""
        rows, columns = int(self.x.shape[0]), int(self.x.shape[1]) - 1
        return CircuitShape(rows=rows, features=columns, groups=self.groups, unit=self.unit)


def encode_set(
    features: np.ndarray,
    labels: np.ndarray,
    fixed: FixedPoint,
    salt: np.ndarray | None = None,
    groups: tuple[tuple[int, int], ...] = (),
) -> ValidationSet:
    """Round features to integers and append a salt column (random 16-bit values unless given);
    `groups`: the one-hot blocks (first column, width) of the categorical features."""
    if features.ndim != 2 or labels.shape != (features.shape[0],):
        raise ProofError("features must be rows x columns and labels one per row: check the split")
    if not np.isin(labels, (0, 1)).all():
        raise ProofError("labels must be 0 or 1: check the validation split")
    rows = features.shape[0]
    if salt is None:
        salt = np.array([secrets.randbelow(1 << SALT_BITS) for _ in range(rows)])
    scaled = np.rint(np.asarray(features, dtype=np.float64) * (1 << fixed.feature_bits))
    x = np.hstack([scaled.astype(np.int64), salt.reshape(rows, 1).astype(np.int64)])
    if not np.isfinite(scaled).all() or np.abs(scaled).max(initial=0) >= fixed.limit:
        raise ProofError("a feature is too large for the circuit: standardize the features first")
    y = np.asarray(labels, dtype=np.int64)
    return ValidationSet(x=x, y=y, groups=groups, unit=1 << fixed.feature_bits)


def encode_weights(weights: np.ndarray, bias: float, fixed: FixedPoint) -> np.ndarray:
    """The weights, then the bias at the score's scale, as fixed-point integers."""
    scale = 1 << fixed.weight_bits
    w = np.rint(np.asarray(weights, dtype=np.float64).ravel() * scale)
    b = np.rint(bias * scale * (1 << fixed.feature_bits))
    encoded = np.append(w, b)
    if not np.isfinite(encoded).all() or np.abs(encoded).max(initial=0) >= fixed.limit:
        raise ProofError("a weight is too large for the circuit: check the model's weights")
    return encoded.astype(np.int64)


def decode_weights(encoded: np.ndarray, fixed: FixedPoint) -> tuple[np.ndarray, float]:
    """The float weights and bias the circuit scored (inverse of encode_weights)."""
    scale = float(1 << fixed.weight_bits)
    w = encoded[:-1].astype(np.float64) / scale
    return w, float(encoded[-1]) / (scale * (1 << fixed.feature_bits))


def scores(data: ValidationSet, weights: np.ndarray) -> np.ndarray:
    """The circuit's integer scores z = X w + b (salt weight 0), exact in int64."""
    return data.x[:, :-1] @ weights[:-1] + weights[-1]
