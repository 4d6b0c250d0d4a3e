"""The AUC circuit as an ONNX graph: z = X w + b, AUC by ranks (two sorts), weights copied out.

Everything is an integer (EZKL scales 0): features and weights are fixed-point numbers chosen by
`FixedPoint`, so the circuit's arithmetic is exact and the contract can recompute the score.
Numeric columns are multiplied by their weights; a one-hot block (a categorical feature) is
committed as one index per row and its weight looked up (`zk/layout.py`), the same z at a
fraction of the cells. The last numeric column is a random salt the scores never read (so the
commitment hides a guessable set). A label counts as a default exactly when it equals 1 (an
Equal inside the circuit, so a committed label is 0/1 whatever field element it holds).
Outputs, in order: the weights and the bias packed five to a word (`zk/packing.py`), R = R_up +
R_lo (the defaults' rank sums with ties counted above and below) and P, the number of defaults.
AUC = (R/2 - P(P+1)/2) / (P N). zk/README.md says why each step is sound.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper

from zk.packing import HIGHEST, LEG_BITS, LEGS, LOWEST, OFFSET
from zk.shape import CircuitShape

OPSET = 18
OUT_OF_RANGE = 1 << 40  # a weight outside the packing range moves P past any row count
__all__ = ["OPSET", "CircuitShape", "build_graph"]


def build_graph(shape: CircuitShape) -> bytes:
    """The serialized ONNX model of the circuit for `shape`."""
    n, d, g = shape.rows, shape.features, len(shape.groups)
    inputs = [_value("x", [n, len(shape.numeric_columns) + 1])]
    if g:
        inputs.append(_value("c", [n, g]))
    inputs += [_value("y", [1, n]), _value("w", [d, 1]), _value("b", [1, 1])]
    outputs = [_value(name, dims) for name, dims in _output_dims(shape)]
    nodes = [*_packed(shape), *_linear(shape), *_ranks(), *_in_range()]
    graph = helper.make_graph(nodes, "fedlend_auc", inputs, outputs, _constants(shape))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.producer_name = "fedlend.zk"
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString(deterministic=True))


def _output_dims(shape: CircuitShape) -> list[tuple[str, list[int]]]:
    return [("words", [shape.word_count, 1]), ("r", [1, 1]), ("p", [1, 1])]


def _value(name: str, dims: list[int]) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def _const(name: str, array: np.ndarray) -> onnx.TensorProto:
    values = array.astype(np.float32)
    return helper.make_tensor(name, TensorProto.FLOAT, list(values.shape), values.ravel().tolist())


def _ints(name: str, values: list[int]) -> onnx.TensorProto:
    return helper.make_tensor(name, TensorProto.INT64, [len(values)], values)


def _constants(shape: CircuitShape) -> list[onnx.TensorProto]:
    n, m = shape.rows, len(shape.numeric_columns)
    constants = [
        _const("one", np.ones((1, 1))),
        _const("ranks", np.arange(1, n + 1).reshape(n, 1)),
        _const("ones", np.ones((n, 1))),
        _ints("k", [n]),
        _ints("first", [0]),
        _ints("numeric", [m]),
        _ints("columns", [1]),
        *_packing_constants(shape),
    ]
    if shape.groups:
        constants += [
            _ints("numeric_at", list(shape.numeric_columns)),
            _ints("one_hot_at", list(shape.one_hot_columns)),
            _ints("table_dims", [len(shape.one_hot_columns)]),
            _ints("sum_axis", [1]),
            _const("unit", np.array([shape.unit])),
            _const("none", np.zeros(1)),  # the weight of an all-zero block (unknown category)
        ]
    return constants


def _packing_constants(shape: CircuitShape) -> list[onnx.TensorProto]:
    padding = LEGS * shape.word_count - shape.weight_count
    constants = [
        _const("offset", np.array([OFFSET])),
        _const("leg", np.array([1 << LEG_BITS])),
        _const("ends", np.array([[LOWEST, HIGHEST]])),
        _const("top", np.array([HIGHEST])),  # float32 holds both ends exactly (not their span)
        _const("bottom", np.array([LOWEST])),
        _const("out_of_range", np.array([OUT_OF_RANGE])),
        _ints("word_dims", [shape.word_count, LEGS]),
        _ints("row_dims", [1, shape.weight_count]),
        _ints("sorted_count", [shape.weight_count + 2]),
        _ints("last", [shape.weight_count + 1]),
        _ints("end", [shape.weight_count + 2]),
    ]
    constants += [_ints(f"leg{i}", [i]) for i in range(LEGS + 1)]
    if padding:
        constants.append(_const("padding", np.zeros((padding, 1))))
    return constants


def _packed(shape: CircuitShape) -> list[onnx.NodeProto]:
    """The public words: legs w + 2^24, five to a word by Horner's rule (leg 0 lowest)."""
    node = helper.make_node
    nodes, padded = [node("Concat", ["w", "b"], ["weights"], axis=0)], "weights"
    if LEGS * shape.word_count > shape.weight_count:  # zero weights fill the last word
        nodes.append(node("Concat", ["weights", "padding"], ["weights_padded"], axis=0))
        padded = "weights_padded"
    nodes += [
        node("Add", [padded, "offset"], ["legs_flat"]),
        node("Reshape", ["legs_flat", "word_dims"], ["legs"]),
    ]
    for i in range(LEGS):
        nodes.append(node("Slice", ["legs", f"leg{i}", f"leg{i + 1}", "columns"], [f"leg_{i}"]))
    acc = f"leg_{LEGS - 1}"
    for i in range(LEGS - 2, -1, -1):
        nodes.append(node("Mul", [acc, "leg"], [f"shifted_{i}"]))
        out = "words" if i == 0 else f"acc_{i}"
        nodes.append(node("Add", [f"shifted_{i}", f"leg_{i}"], [out]))
        acc = out
    return nodes


def _in_range() -> list[onnx.NodeProto]:
    """P = defaults + excess * 2^40, where excess = 0 exactly when every weight lies between the
    packing range's two ends: a sort of the weights with both ends must start and end at them
    (each sorted neighbour difference is proven to be a small non-negative integer)."""
    node = helper.make_node
    return [
        node("Reshape", ["weights", "row_dims"], ["weights_row"]),
        node("Concat", ["weights_row", "ends"], ["with_ends"], axis=1),
        node("TopK", ["with_ends", "sorted_count"], ["in_order", "order"], largest=0, sorted=1),
        node("Slice", ["in_order", "first", "columns", "columns"], ["lowest"]),
        node("Slice", ["in_order", "last", "end", "columns"], ["highest"]),
        node("Sub", ["highest", "top"], ["above"]),  # >= 0: the top end is in the sort
        node("Sub", ["bottom", "lowest"], ["below"]),  # >= 0: so is the bottom one
        node("Add", ["above", "below"], ["excess"]),
        node("Mul", ["excess", "out_of_range"], ["penalty"]),
        node("Add", ["defaults", "penalty"], ["p"]),
    ]


def _linear(shape: CircuitShape) -> list[onnx.NodeProto]:
    """z = X w + b: numeric columns by a product, one-hot blocks by a lookup of their weight."""
    node = helper.make_node
    if not shape.groups:
        return [
            node("Slice", ["x", "first", "numeric", "columns"], ["numeric_x"]),  # not the salt
            node("MatMul", ["numeric_x", "w"], ["xw"]),
            node("Add", ["xw", "b"], ["z"]),
        ]
    nodes = [
        node("Gather", ["w", "one_hot_at"], ["w_one_hot"], axis=0),
        node("Reshape", ["w_one_hot", "table_dims"], ["w_flat"]),
        node("Mul", ["w_flat", "unit"], ["w_units"]),  # a one-hot 1 is encoded as `unit`
        node("Concat", ["w_units", "none"], ["table"], axis=0),
        node("Gather", ["table", "c"], ["looked_up"], axis=0),  # a lookup: c is committed data
        node("ReduceSum", ["looked_up", "sum_axis"], ["blocks"], keepdims=1),
    ]
    if not shape.numeric_columns:
        return [*nodes, node("Add", ["blocks", "b"], ["z"])]
    return [
        *nodes,
        node("Gather", ["w", "numeric_at"], ["w_numeric"], axis=0),
        node("Slice", ["x", "first", "numeric", "columns"], ["numeric_x"]),  # not the salt
        node("MatMul", ["numeric_x", "w_numeric"], ["xw"]),
        node("Add", ["xw", "blocks"], ["linear"]),
        node("Add", ["linear", "b"], ["z"]),
    ]


def _ranks() -> list[onnx.NodeProto]:
    node = helper.make_node
    return [
        node("Equal", ["y", "one"], ["is_default"]),  # a label is 1 or it is 0
        node("Cast", ["is_default"], ["labels"], to=TensorProto.FLOAT),
        node("Transpose", ["z"], ["z_row"], perm=[1, 0]),
        node("Add", ["z_row", "labels"], ["z_up"]),  # a default ranks above a tied non-default
        node("Sub", ["z_row", "labels"], ["z_lo"]),  # ... and below it
        node("TopK", ["z_up", "k"], ["s_up", "i_up"], largest=0, sorted=1),
        node("TopK", ["z_lo", "k"], ["s_lo", "i_lo"], largest=0, sorted=1),
        node("Sub", ["s_up", "s_lo"], ["d"]),  # per rank: defaults there, ties above + below
        node("MatMul", ["d", "ranks"], ["r"]),
        node("MatMul", ["labels", "ones"], ["defaults"]),
    ]
