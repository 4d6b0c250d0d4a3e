"""The AUC circuit as an ONNX graph: z = X w + b, AUC by ranks (two sorts), weights copied out.

Everything is an integer (EZKL scales 0): features and weights are fixed-point numbers chosen by
`FixedPoint`, so the circuit's arithmetic is exact and the contract can recompute the score.
The last column of X is a random salt the scores never read (so the commitment hides a guessable
set). A label counts as a default exactly when it equals 1 (an Equal inside the circuit, so a
committed label is 0/1 whatever field element it holds). Outputs, in order: the weights, the
bias, R = R_up + R_lo (the defaults' rank sums with ties counted above and below) and P, the
number of defaults. AUC = (R/2 - P(P+1)/2) / (P N). zk/README.md says why each step is sound.
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
        """Public outputs: the weights, the bias, the rank sum R and P."""
        return self.weight_count + 2


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
    graph = helper.make_graph(_nodes(), "fedlend_auc", inputs, outputs, _constants(n, d))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.producer_name = "fedlend.zk"
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString(deterministic=True))


def _output_dims(d: int) -> list[tuple[str, list[int]]]:
    return [("w_out", [d, 1]), ("b_out", [1, 1]), ("r", [1, 1]), ("p", [1, 1])]


def _value(name: str, dims: list[int]) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def _const(name: str, array: np.ndarray) -> onnx.TensorProto:
    values = array.astype(np.float32)
    return helper.make_tensor(name, TensorProto.FLOAT, list(values.shape), values.ravel().tolist())


def _ints(name: str, value: int) -> onnx.TensorProto:
    return helper.make_tensor(name, TensorProto.INT64, [1], [value])


def _constants(n: int, d: int) -> list[onnx.TensorProto]:
    return [
        _const("one", np.ones((1, 1))),
        _const("ranks", np.arange(1, n + 1).reshape(n, 1)),
        _const("ones", np.ones((n, 1))),
        _ints("k", n),
        _ints("first", 0),
        _ints("features", d),
        _ints("columns", 1),
    ]


def _nodes() -> list[onnx.NodeProto]:
    node = helper.make_node
    return [
        node("Identity", ["w"], ["w_out"]),
        node("Identity", ["b"], ["b_out"]),
        node("Equal", ["y", "one"], ["is_default"]),  # a label is 1 or it is 0
        node("Cast", ["is_default"], ["labels"], to=TensorProto.FLOAT),
        node("Slice", ["x", "first", "features", "columns"], ["features_x"]),  # not the salt
        node("MatMul", ["features_x", "w"], ["xw"]),
        node("Add", ["xw", "b"], ["z"]),
        node("Transpose", ["z"], ["z_row"], perm=[1, 0]),
        node("Add", ["z_row", "labels"], ["z_up"]),  # a default ranks above a tied non-default
        node("Sub", ["z_row", "labels"], ["z_lo"]),  # ... and below it
        node("TopK", ["z_up", "k"], ["s_up", "i_up"], largest=0, sorted=1),
        node("TopK", ["z_lo", "k"], ["s_lo", "i_lo"], largest=0, sorted=1),
        node("Sub", ["s_up", "s_lo"], ["d"]),  # per rank: defaults there, ties above + below
        node("MatMul", ["d", "ranks"], ["r"]),
        node("MatMul", ["labels", "ones"], ["p"]),
    ]
