"""The served signals model: canonical JSON spec + safetensors arrays, hashed, never pickled."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load as load_safetensors
from safetensors.numpy import save as save_safetensors

from fedlend_core.bounded_file import FileLimit, read_bounded
from fedlend_core.errors import SpecError
from signals.dataset import FEATURES
from signals.profile import ARRAY_NAMES as PROFILE_ARRAYS
from signals.profile import ProfileModel
from signals.score import Thresholds
from signals.trees import ARRAY_NAMES as TREE_ARRAYS
from signals.trees import TreeEnsemble, from_arrays

FORMAT = "fedlend-signals-v1"
SPEC_FILE = "spec.json"
ARRAYS_FILE = "arrays.safetensors"
DEFAULT_DIR = Path(__file__).resolve().parent.parent / "data/ethereum_addresses/model"
MAX_SPEC_BYTES = 1 << 20
MAX_ARRAY_BYTES = 64 << 20


def canonical_json(value: object) -> bytes:
    """Sorted keys, no spaces, UTF-8: equal content -> equal bytes -> equal digest."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class ServedModel:
    """Classifier trees, the baseline used to explain them, thresholds and investor profiles."""

    trees: TreeEnsemble
    baseline: np.ndarray  # a typical address's features (medians), for the top-feature reasons
    thresholds: Thresholds
    profiles: ProfileModel
    report: dict[str, Any]  # metrics and silhouettes from training (JSON)

    def spec(self, arrays_sha256: str) -> dict[str, Any]:
        """The JSON spec (without arrays)."""
        return {
            "format": FORMAT,
            "features": list(FEATURES),
            "trees": {
                "bias": self.trees.bias,
                "rate": self.trees.rate,
                "depth": self.trees.depth,
                "n_features": self.trees.n_features,
            },
            "thresholds": dict(self.thresholds.__dict__),
            "profiles": {
                "features": list(self.profiles.feature_names),
                "names": list(self.profiles.names),
                "silhouette": self.profiles.silhouette,
            },
            "report": self.report,
            "arrays_sha256": arrays_sha256,
        }

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array, namespaced."""
        out = {f"tree.{k}": v for k, v in self.trees.arrays().items()}
        out.update({f"profile.{k}": v for k, v in self.profiles.arrays().items()})
        out["baseline"] = self.baseline
        return out


def save(model: ServedModel, directory: str | Path = DEFAULT_DIR) -> str:
    """Write DIR/spec.json and DIR/arrays.safetensors; returns the spec's sha256 (the version)."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    blob = save_safetensors(model.arrays(), metadata={"format": FORMAT})
    spec = canonical_json(model.spec(hashlib.sha256(blob).hexdigest()))
    for name, content in ((ARRAYS_FILE, blob), (SPEC_FILE, spec)):
        tmp = path / f".{name}.tmp"
        tmp.write_bytes(content)
        tmp.replace(path / name)
    return hashlib.sha256(spec).hexdigest()


def digest(directory: str | Path = DEFAULT_DIR) -> str:
    """The sha256 of the saved spec: the model's version."""
    return hashlib.sha256(_read(Path(directory) / SPEC_FILE, MAX_SPEC_BYTES)).hexdigest()


def load(directory: str | Path = DEFAULT_DIR) -> ServedModel:
    """Read and check a saved model; SpecError says what is wrong and how to rebuild it."""
    path = Path(directory)
    raw_spec = _read(path / SPEC_FILE, MAX_SPEC_BYTES)
    blob = _read(path / ARRAYS_FILE, MAX_ARRAY_BYTES)
    try:
        spec = json.loads(raw_spec)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(
            f"{path / SPEC_FILE} is not JSON: rebuild with `fedlend signals train`"
        ) from exc
    _check_spec(spec)
    if hashlib.sha256(blob).hexdigest() != spec["arrays_sha256"]:
        raise SpecError(f"{path / ARRAYS_FILE} does not match its spec: rebuild the model")
    try:
        arrays = load_safetensors(blob)
    except Exception as exc:  # the parser raises its own types on malformed input
        raise SpecError(f"{path / ARRAYS_FILE} is not valid safetensors: {exc}") from exc
    return _build(spec, arrays)


def _build(spec: dict[str, Any], arrays: dict[str, np.ndarray]) -> ServedModel:
    expected = {f"tree.{k}" for k in TREE_ARRAYS} | {f"profile.{k}" for k in PROFILE_ARRAYS}
    if set(arrays) != expected | {"baseline"}:
        raise SpecError("the model's arrays are not the expected set: rebuild the model")
    trees = from_arrays({k: arrays[f"tree.{k}"] for k in TREE_ARRAYS}, **spec["trees"])
    p = {k: np.asarray(arrays[f"profile.{k}"], dtype=np.float64) for k in PROFILE_ARRAYS}
    names = spec["profiles"]["names"]
    n_feat, n_prof = len(spec["profiles"]["features"]), len(names)
    shapes_ok = (
        all(p[k].shape == (n_feat,) for k in PROFILE_ARRAYS[:6])
        and p["pca_components"].shape[1:] == (n_feat,)
        and p["centroids"].shape == (n_prof, p["pca_components"].shape[0])
        and arrays["baseline"].shape == (len(FEATURES),)
        and all(np.isfinite(v).all() for v in p.values())
        and np.all(p["power_scale"] > 0)
        and np.all(p["scale_scale"] > 0)
    )
    if not shapes_ok:
        raise SpecError("the model's profile arrays have the wrong shapes: rebuild the model")
    profiles = ProfileModel(
        feature_names=tuple(spec["profiles"]["features"]),
        names=tuple(names),
        silhouette=float(spec["profiles"]["silhouette"]),
        **p,
    )
    return ServedModel(
        trees=trees,
        baseline=np.asarray(arrays["baseline"], dtype=np.float64),
        thresholds=Thresholds(**{k: float(v) for k, v in spec["thresholds"].items()}),
        profiles=profiles,
        report=spec["report"],
    )


def _check_spec(spec: object) -> None:
    ok = (
        isinstance(spec, dict)
        and spec.get("format") == FORMAT
        and spec.get("features") == list(FEATURES)
        and isinstance(spec.get("trees"), dict)
        and set(spec["trees"]) == {"bias", "rate", "depth", "n_features"}
        and all(isinstance(v, int | float) for v in spec["trees"].values())
        and isinstance(spec.get("thresholds"), dict)
        and set(spec["thresholds"]) == set(Thresholds.__dataclass_fields__)
        and all(isinstance(v, int | float) for v in spec["thresholds"].values())
        and isinstance(spec.get("profiles"), dict)
        and isinstance(spec["profiles"].get("names"), list)
        and all(isinstance(n, str) and len(n) <= 80 for n in spec["profiles"]["names"])
        and isinstance(spec["profiles"].get("features"), list)
        and isinstance(spec["profiles"].get("silhouette"), int | float)
        and isinstance(spec.get("report"), dict)
        and isinstance(spec.get("arrays_sha256"), str)
    )
    if not ok:
        raise SpecError(
            f"the signals model spec is not {FORMAT} for these features: "
            "rebuild it with `fedlend signals train`"
        )


def _read(file: Path, limit: int) -> bytes:
    advice = "build it with `fedlend signals train`"
    return read_bounded(file, FileLimit(limit, SpecError, "the signals model file", advice))
