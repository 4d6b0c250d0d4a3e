"""The AUC circuit as an ONNX graph: z = X w + b, AUC by ranks (three sorts), weights copied out.

Everything is an integer (EZKL scales 0): features and weights are fixed-point numbers chosen by
`FixedPoint`, so the circuit's arithmetic is exact and the contract can recompute the score.
The last column of X is a random salt with weight 0 (so the commitment hides a guessable set).
Outputs, in order: the weights, the bias, rank sums of the defaults with ties counted above
(R_up) and below (R_lo), and P, the number of defaults. AUC = ((R_up + R_lo)/2 - P(P+1)/2) / (P N).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper

from fedlend_core.errors import ProofError

OPSET = 18
MAX_ROWS = 1 << 16
MAX_FEATURES = 1024


@dataclass(frozen=True)
class CircuitShape:
    """Rows of the validation set and features of the logistic regression (salt not counted)."""

    rows: int
    features: int

    def __post_init__(self) -> None:
        if not 2 <= self.rows <= MAX_ROWS or not 1 <= self.features <= MAX_FEATURES:
            raise ProofError(
                f"a circuit needs 2..{MAX_ROWS} rows and 1..{MAX_FEATURES} features, "
                f"not {self.rows} x {self.features}: use a smaller validation set"
            )

    @property
    def weight_count(self) -> int:
        """Public weights: the features' weights and the bias."""
        return self.features + 1

    @property
    def instance_count(self) -> int:
        """Public outputs: the weights, the bias, two rank sums and P."""
        return self.weight_count + 3


def build_graph(shape: CircuitShape) -> bytes:
    """The serialized ONNX model of the circuit for `shape`."""
    n, d = shape.rows, shape.features
    inputs = [
        _value("x", [n, d + 1]),
        _value("y", [1, n]),
        _value("w", [d, 1]),
        _value("b", [1, 1]),
    ]
    outputs = [_value(name, dims) for name, dims in _output_dims(d)]
    graph = helper.make_graph(_nodes(), "fedlend_auc", inputs, outputs, _constants(n))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.producer_name = "fedlend.zk"
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString(deterministic=True))


def _output_dims(d: int) -> list[tuple[str, list[int]]]:
    return [("w_out", [d, 1]), ("b_out", [1, 1]), ("r_up", [1, 1]), ("r_lo", [1, 1]), ("p", [1, 1])]


def _value(name: str, dims: list[int]) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def _const(name: str, array: np.ndarray) -> onnx.TensorProto:
    values = array.astype(np.float32)
    return helper.make_tensor(name, TensorProto.FLOAT, list(values.shape), values.ravel().tolist())


def _constants(n: int) -> list[onnx.TensorProto]:
    return [
        _const("zero", np.zeros((1, 1))),
        _const("two", np.array([[2.0]])),
        _const("ranks", np.arange(1, n + 1).reshape(n, 1)),
        _const("ones", np.ones((n, 1))),
        helper.make_tensor("k", TensorProto.INT64, [1], [n]),
    ]


def _nodes() -> list[onnx.NodeProto]:
    node = helper.make_node
    return [
        node("Identity", ["w"], ["w_out"]),
        node("Identity", ["b"], ["b_out"]),
        node("Concat", ["w", "zero"], ["w_salted"], axis=0),  # the salt column's weight is 0
        node("MatMul", ["x", "w_salted"], ["xw"]),
        node("Add", ["xw", "b"], ["z"]),
        node("Transpose", ["z"], ["z_row"], perm=[1, 0]),
        node("Mul", ["z_row", "two"], ["z2"]),  # gaps of 2 between distinct scores
        node("Add", ["z2", "y"], ["z_up"]),  # a default ranks above a tied non-default
        node("Sub", ["z2", "y"], ["z_lo"]),  # ... and below it
        node("TopK", ["z2", "k"], ["s2", "i2"], largest=0, sorted=1),
        node("TopK", ["z_up", "k"], ["s_up", "i_up"], largest=0, sorted=1),
        node("TopK", ["z_lo", "k"], ["s_lo", "i_lo"], largest=0, sorted=1),
        node("Sub", ["s_up", "s2"], ["d_up"]),  # the labels in rank order (0/1)
        node("Sub", ["s2", "s_lo"], ["d_lo"]),
        node("MatMul", ["d_up", "ranks"], ["r_up"]),
        node("MatMul", ["d_lo", "ranks"], ["r_lo"]),
        node("MatMul", ["y", "ones"], ["p"]),
    ]
