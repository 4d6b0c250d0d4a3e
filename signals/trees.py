"""Gradient-boosted trees as plain arrays: dumped from scikit-learn, evaluated with numpy alone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from fedlend_core.errors import SpecError

ARRAY_NAMES = ("feature", "threshold", "left", "right", "value", "roots")
MAX_NODES = 1 << 20
MAX_DEPTH = 16


@dataclass(frozen=True)
class TreeEnsemble:
    """raw(x) = bias + rate * sum of leaf values; probability = sigmoid(raw)."""

    feature: np.ndarray  # int32 per node (-1 at leaves)
    threshold: np.ndarray  # float64 per node: go left when x[feature] <= threshold
    left: np.ndarray  # int32 per node: global index of the left child (-1 at leaves)
    right: np.ndarray
    value: np.ndarray  # float64 per node (used at leaves)
    roots: np.ndarray  # int32 per tree: index of its root node
    bias: float
    rate: float
    depth: int
    n_features: int

    def raw(self, x: np.ndarray) -> np.ndarray:
        """Log-odds per row of x (rows x n_features, no NaN)."""
        rows = np.asarray(x, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != self.n_features:
            raise SpecError(f"expected rows of {self.n_features} features, got {rows.shape}")
        node = np.broadcast_to(self.roots, (rows.shape[0], self.roots.size)).copy()
        row_index = np.arange(rows.shape[0])[:, None]
        for _ in range(self.depth):
            feat = self.feature[node]
            inner = feat >= 0
            go_left = rows[row_index, np.where(inner, feat, 0)] <= self.threshold[node]
            child = np.where(go_left, self.left[node], self.right[node])
            node = np.where(inner, child, node)
        return self.bias + self.rate * self.value[node].sum(axis=1)

    def proba(self, x: np.ndarray) -> np.ndarray:
        """Probability of the positive class per row."""
        return 1.0 / (1.0 + np.exp(-self.raw(x)))

    def arrays(self) -> dict[str, np.ndarray]:
        """The node arrays, for safetensors."""
        return {name: getattr(self, name) for name in ARRAY_NAMES}


def from_sklearn(model: object) -> TreeEnsemble:
    """Dump a fitted binary GradientBoostingClassifier (log-loss) into a TreeEnsemble."""
    trees = [stage[0].tree_ for stage in model.estimators_]  # type: ignore[attr-defined]
    prior = float(model.init_.class_prior_[1])  # type: ignore[attr-defined]
    parts: dict[str, list[np.ndarray]] = {n: [] for n in ARRAY_NAMES[:-1]}
    roots, offset = [], 0
    for tree in trees:
        leaf = tree.children_left == -1
        roots.append(offset)
        parts["feature"].append(np.where(leaf, -1, tree.feature).astype(np.int32))
        parts["threshold"].append(tree.threshold.astype(np.float64))
        parts["left"].append(np.where(leaf, -1, tree.children_left + offset).astype(np.int32))
        parts["right"].append(np.where(leaf, -1, tree.children_right + offset).astype(np.int32))
        parts["value"].append(tree.value[:, 0, 0].astype(np.float64))
        offset += tree.node_count
    return TreeEnsemble(
        **{name: np.concatenate(chunks) for name, chunks in parts.items()},
        roots=np.asarray(roots, dtype=np.int32),
        bias=float(np.log(prior / (1.0 - prior))),
        rate=float(model.learning_rate),  # type: ignore[attr-defined]
        depth=max(int(t.max_depth) for t in trees),
        n_features=int(model.n_features_in_),  # type: ignore[attr-defined]
    )


def from_arrays(
    arrays: Mapping[str, np.ndarray], *, bias: float, rate: float, depth: int, n_features: int
) -> TreeEnsemble:
    """A TreeEnsemble from untrusted arrays, checked so evaluation can never index out of range."""
    if set(arrays) != set(ARRAY_NAMES):
        raise SpecError(f"tree arrays must be exactly {ARRAY_NAMES}, got {sorted(arrays)}")
    if not 1 <= depth <= MAX_DEPTH or not 1 <= n_features <= 4096:
        raise SpecError("tree depth or feature count is out of range")
    ints = {k: np.asarray(arrays[k]) for k in ("feature", "left", "right", "roots")}
    floats = {k: np.asarray(arrays[k]) for k in ("threshold", "value")}
    n = floats["value"].shape[0] if floats["value"].ndim == 1 else 0
    if not 0 < n <= MAX_NODES:
        raise SpecError(f"tree node count must be 1..{MAX_NODES}")
    for name, arr in ints.items():
        if arr.dtype != np.int32 or arr.ndim != 1:
            raise SpecError(f"tree array {name} must be 1-D int32")
    for name, arr in floats.items():
        if arr.dtype != np.float64 or arr.shape != (n,) or not np.isfinite(arr).all():
            raise SpecError(f"tree array {name} must be {n} finite float64 values")
    if any(ints[k].shape != (n,) for k in ("feature", "left", "right")):
        raise SpecError("tree arrays disagree on the node count")
    _check_links(ints, n, n_features)
    return TreeEnsemble(
        **ints,
        **floats,
        bias=float(bias),
        rate=float(rate),
        depth=int(depth),
        n_features=int(n_features),
    )


def _check_links(ints: Mapping[str, np.ndarray], n: int, n_features: int) -> None:
    inner = ints["feature"] != -1
    children = np.concatenate([ints["left"][inner], ints["right"][inner]])
    if (
        ints["feature"].min() < -1
        or ints["feature"].max() >= n_features
        or (children.size and (children.min() < 0 or children.max() >= n))
        or ints["roots"].size == 0
        or ints["roots"].min() < 0
        or ints["roots"].max() >= n
    ):
        raise SpecError("tree arrays point outside the tree (forged or truncated model)")
