"""The model spec: versioned canonical JSON shared by lender and owners; sha256 goes on-chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from fedlend_core.bounded_json import finite_number, loads_bounded
from fedlend_core.errors import SpecError
from fl.data import TARGET
from fl.spec_checks import MAX_INPUTS, validate_spec

SPEC_VERSION = 1
MAX_SPEC_BYTES = 1 << 20
MAX_TEXT = 1000  # characters in one name, category or metadata value


@dataclass(frozen=True)
class Feature:
    """One input column and how every party encodes it (standardise, impute, one-hot)."""

    name: str
    kind: str  # numeric | months_before (months between this date and `reference`) | categorical
    mean: float = 0.0
    std: float = 1.0
    impute: float = 0.0  # in transformed units, before standardising
    transform: str = "none"
    missing_flag: bool = False
    categories: tuple[str, ...] = ()
    reference: str = ""

    def columns(self) -> list[str]:
        """Names of the encoded input columns this feature produces, in order."""
        cols = [f"{self.name}={c}" for c in self.categories] if self.kind == "categorical" else []
        if self.kind != "categorical":
            cols.append(self.name)
        if self.missing_flag:
            cols.append(f"{self.name}__missing")
        return cols


@dataclass(frozen=True)
class ModelConfig:
    """Which network: "logreg" (one linear layer) or "mlp" (one hidden ReLU layer)."""

    kind: str = "logreg"
    hidden: int = 0


@dataclass(frozen=True)
class TrainingDefaults:
    """Local-training defaults owners use unless told otherwise (DP-SGD with Poisson sampling)."""

    lr: float = 1.0
    batch_size: int = 1024
    epochs: int = 10
    max_grad_norm: float = 3.0
    delta: float = 1e-5


@dataclass(frozen=True)
class ModelSpec:
    """Everything needed to encode data, build the model and score it, identically everywhere."""

    features: tuple[Feature, ...]
    model: ModelConfig = ModelConfig()
    metric: str = "roc_auc"
    training: TrainingDefaults = TrainingDefaults()
    target: str = TARGET
    policy_only: bool = True
    clip: float = 10.0
    metadata: Mapping[str, str] = field(default_factory=dict)
    version: int = SPEC_VERSION

    @property
    def input_columns(self) -> list[str]:
        """The encoded input column names, in model-input order."""
        return [col for feature in self.features for col in feature.columns()]

    @property
    def n_inputs(self) -> int:
        """The width of an encoded row."""
        return len(self.input_columns)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (the canonical content)."""
        return {
            "version": self.version,
            "target": self.target,
            "policy_only": self.policy_only,
            "clip": self.clip,
            "features": [_feature_dict(f) for f in self.features],
            "model": {"kind": self.model.kind, "hidden": self.model.hidden},
            "metric": self.metric,
            "training": vars(self.training).copy(),
            "metadata": dict(self.metadata),
        }

    def to_json(self) -> bytes:
        """Canonical UTF-8 JSON: sorted keys, no spaces; the bytes to store and hash."""
        return canonical_json(self.to_dict())

    @property
    def digest(self) -> bytes:
        """32-byte sha256 of the canonical JSON (what goes on-chain)."""
        return hashlib.sha256(self.to_json()).digest()

    @property
    def digest_hex(self) -> str:
        """The digest as hex."""
        return self.digest.hex()

    def with_metadata(self, **items: str) -> ModelSpec:
        """A copy with metadata entries added (included in the digest)."""
        merged = {**self.metadata, **items}
        return replace(self, metadata=_check_metadata(merged))

    @classmethod
    def from_json(cls, data: bytes | str) -> ModelSpec:
        """Parse and validate spec JSON (size and depth bounded first); SpecError says what."""
        obj = loads_bounded(
            data, error=SpecError, what="the model spec", max_bytes=MAX_SPEC_BYTES, max_depth=8
        )
        return spec_from_dict(obj)


def canonical_json(obj: object) -> bytes:
    """Deterministic JSON bytes (sorted keys, compact, UTF-8, NaN refused)."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _feature_dict(f: Feature) -> dict[str, Any]:
    out: dict[str, Any] = {"name": f.name, "kind": f.kind, "missing_flag": f.missing_flag}
    if f.kind == "categorical":
        out["categories"] = list(f.categories)
    else:
        out.update(mean=f.mean, std=f.std, impute=f.impute, transform=f.transform)
    if f.kind == "months_before":
        out["reference"] = f.reference
    return out


def spec_from_dict(obj: object) -> ModelSpec:
    """Build a validated ModelSpec from parsed JSON: every field type-checked, SpecError if not."""
    top = _obj(obj, "spec")
    if top.get("version") != SPEC_VERSION or isinstance(top.get("version"), bool):
        raise SpecError(
            f"spec version {top.get('version')!r:.40} unsupported; this fedlend reads 1"
        )
    features = _field(top, "features", list, "spec")
    if len(features) > MAX_INPUTS:
        raise SpecError(f"spec lists {len(features):,} features; the limit is {MAX_INPUTS}")
    model = _obj(top.get("model"), "spec model")
    training = _obj(top.get("training"), "spec training")
    spec = ModelSpec(
        features=tuple(_feature_from(f, i) for i, f in enumerate(features)),
        model=ModelConfig(
            kind=_field(model, "kind", str, "model"), hidden=_field(model, "hidden", int, "model")
        ),
        metric=_field(top, "metric", str, "spec"),
        training=TrainingDefaults(
            lr=_number(training, "lr", "training"),
            batch_size=_field(training, "batch_size", int, "training"),
            epochs=_field(training, "epochs", int, "training"),
            max_grad_norm=_number(training, "max_grad_norm", "training"),
            delta=_number(training, "delta", "training"),
        ),
        target=_field(top, "target", str, "spec"),
        policy_only=_field(top, "policy_only", bool, "spec"),
        clip=float(_number(top, "clip", "spec")),
        metadata=_check_metadata(top.get("metadata", {})),
    )
    validate_spec(spec)
    return spec


def _obj(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SpecError(f"{what} must be a JSON object, not {_kind(value)}")
    return value


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false"}.get(
        type(value), "null" if value is None else "a number"
    )


def _field(obj: dict[str, Any], key: str, typ: type, where: str) -> Any:
    """obj[key] if present with exactly type `typ` (bools are not ints), else SpecError."""
    if key not in obj:
        raise SpecError(f"{where} field {key!r} is missing")
    value = obj[key]
    if not isinstance(value, typ) or (typ is not bool and isinstance(value, bool)):
        raise SpecError(f"{where} field {key!r} must be {typ.__name__}, not {_kind(value)}")
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise SpecError(f"{where} field {key!r} is over {MAX_TEXT} characters")
    if isinstance(value, int) and abs(value) > 1 << 53:
        raise SpecError(f"{where} field {key!r} is out of range")
    return value


def _number(obj: dict[str, Any], key: str, where: str) -> Any:
    """A finite JSON number, as written (an int stays an int: the digest covers it)."""
    value = obj.get(key)
    if key not in obj or not finite_number(value):
        raise SpecError(f"{where} field {key!r} must be a finite number, not {_kind(value)}")
    return value


def _feature_from(value: object, index: int) -> Feature:
    obj = _obj(value, f"feature {index}")
    where = f"feature {index}"
    kind = _field(obj, "kind", str, where)
    common = {
        "name": _field(obj, "name", str, where),
        "kind": kind,
        "missing_flag": _field(obj, "missing_flag", bool, where),
    }
    if kind == "categorical":
        cats = _field(obj, "categories", list, where)
        if not all(isinstance(c, str) and len(c) <= MAX_TEXT for c in cats):
            raise SpecError(f"feature {common['name']!r:.60}: categories must be a list of strings")
        return Feature(**common, categories=tuple(cats))
    return Feature(
        **common,
        mean=float(_number(obj, "mean", where)),
        std=float(_number(obj, "std", where)),
        impute=float(_number(obj, "impute", where)),
        transform=_field(obj, "transform", str, where),
        reference=_field(obj, "reference", str, where) if "reference" in obj else "",
    )


def _check_metadata(meta: object) -> dict[str, str]:
    if not isinstance(meta, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in meta.items()
    ):
        raise SpecError("spec metadata must map strings to strings")
    return dict(meta)
