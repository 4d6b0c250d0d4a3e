"""The checks every ModelSpec passes: features, model, metric and training values in range."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from fedlend_core.errors import SpecError
from fl.data import is_leakage

if TYPE_CHECKING:
    from fl.spec import Feature, ModelSpec, TrainingDefaults

MAX_INPUTS = 4096
FEATURE_KINDS = ("numeric", "months_before", "categorical")
MODEL_KINDS = ("logreg", "mlp")
METRICS = ("roc_auc", "accuracy")
TRANSFORMS = ("none", "log1p")


def validate_spec(spec: ModelSpec) -> None:
    """Refuse specs that could not be encoded or trained the same way everywhere."""
    if not spec.features:
        raise SpecError("spec has no features; build it from data with at least one usable column")
    names = [f.name for f in spec.features]
    if len(set(names)) != len(names):
        raise SpecError("spec lists a feature twice")
    for feature in spec.features:
        _validate_feature(feature, spec.target)
    if spec.model.kind not in MODEL_KINDS:
        raise SpecError(f"model kind {spec.model.kind!r} unknown; use one of {MODEL_KINDS}")
    if spec.model.kind == "mlp" and not 1 <= spec.model.hidden <= 1024:
        raise SpecError("mlp hidden size must be 1..1024")
    if spec.metric not in METRICS:
        raise SpecError(f"metric {spec.metric!r} unknown; use one of {METRICS}")
    if not 0 < spec.n_inputs <= MAX_INPUTS:
        raise SpecError(f"spec encodes {spec.n_inputs} inputs; the limit is {MAX_INPUTS}")
    _validate_training(spec.training)
    if not (math.isfinite(spec.clip) and spec.clip > 0):
        raise SpecError("spec clip must be a positive number")


def _validate_feature(f: Feature, target: str) -> None:
    if f.name == target or is_leakage(f.name):
        raise SpecError(f"{f.name!r} cannot be a feature: it is the target or known only later")
    if f.kind not in FEATURE_KINDS:
        raise SpecError(f"feature {f.name!r}: kind {f.kind!r} unknown; use {FEATURE_KINDS}")
    if f.kind == "categorical":
        if not f.categories or len(set(f.categories)) != len(f.categories):
            raise SpecError(f"feature {f.name!r}: categories must be non-empty and distinct")
        return
    if not all(math.isfinite(v) for v in (f.mean, f.std, f.impute)) or f.std <= 0:
        raise SpecError(f"feature {f.name!r}: mean/std/impute must be finite, std > 0")
    if f.transform not in TRANSFORMS:
        raise SpecError(f"feature {f.name!r}: transform {f.transform!r} unknown")
    if f.kind == "months_before" and not f.reference:
        raise SpecError(f"feature {f.name!r}: a date feature needs a reference column")


def _validate_training(t: TrainingDefaults) -> None:
    checks = {
        "lr": 0 < t.lr <= 100,
        "batch_size": isinstance(t.batch_size, int) and 1 <= t.batch_size <= 1 << 20,
        "epochs": isinstance(t.epochs, int) and 1 <= t.epochs <= 1000,
        "max_grad_norm": 0 < t.max_grad_norm <= 1e6,
        "delta": 0 < t.delta < 1,
    }
    bad = [name for name, ok in checks.items() if not ok]
    if bad:
        raise SpecError(f"spec training values out of range: {', '.join(bad)}")
