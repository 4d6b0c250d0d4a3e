"""The lender's own loans: kept by hash on this machine, split into base-training and validation."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fedlend.errors import DataError, NotFoundError, SpecError
from fedlend.private_files import keep_bytes
from fedlend.services import catalog
from fedlend.types import MAX_SCORE, BasisPoints
from fedlend_core.progress import Progress
from fl.data import load_loans
from fl.features import EncodedData
from fl.models import Weights, init_weights
from fl.spec import ModelSpec
from fl.train import TrainConfig, TrainHooks, train_update

REALISTIC_LIFT_BPS = (50, 300)
BASE_META = "base"  # spec metadata: "zero" or "own-data:<fraction>" (split seeded by the data hash)


@dataclass(frozen=True)
class SpecPreview:
    """What the lender's CSV yields, shown before posting."""

    spec: ModelSpec
    rows: int
    default_rate: float
    sha256: str
    base_score: BasisPoints | None = None  # what the base model scores on the validation part

    @property
    def target_range(self) -> tuple[BasisPoints, BasisPoints] | None:
        """A realistic target: base + 0.005 to base + 0.03 (what federated DP updates added on
        this repository's data: pooled 0.704 vs best single owner 0.683 ROC-AUC, README)."""
        if self.base_score is None:
            return None
        low = min(MAX_SCORE, self.base_score + REALISTIC_LIFT_BPS[0])
        return BasisPoints(low), BasisPoints(
            min(MAX_SCORE, self.base_score + REALISTIC_LIFT_BPS[1])
        )


def base_meta_of(base: str, fraction: float) -> str:
    """The spec's BASE_META value for a base kind ("zero" or "own-data") and training fraction."""
    return "zero" if base == "zero" else f"own-data:{fraction:g}"


def split_own_data(
    frame: pd.DataFrame, sha256: str, base_meta: str
) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """(base-training part or None, validation part), split reproducibly from the data hash."""
    if not base_meta.startswith("own-data:"):
        return None, frame
    try:
        fraction = float(base_meta.split(":", 1)[1])
    except ValueError as exc:
        raise SpecError(f"bad base setting {base_meta!r} in the model spec") from exc
    seed = int(sha256[:16], 16)
    order = np.random.default_rng(seed).permutation(len(frame))
    cut = round(len(frame) * fraction)
    if cut < 1 or cut >= len(frame):
        raise DataError("too few loans to split into base-training and validation parts")
    return frame.iloc[order[:cut]], frame.iloc[order[cut:]]


def validation_part(data: bytes, sha256: str, spec: ModelSpec) -> pd.DataFrame:
    """The validation loans of `data` (hashing to `sha256`) under the split `spec` records."""
    _, val = split_own_data(load_loans(data), sha256, spec.metadata.get(BASE_META, "zero"))
    return val


def keep_dataset(state: Path, data: bytes) -> str:
    """Keep the lender's CSV under state/data/<sha256>.csv (written atomically); its sha256."""
    sha = hashlib.sha256(data).hexdigest()
    keep_bytes(dataset_path(state, sha), data)
    return sha


def dataset_path(state: Path, sha256: str) -> Path:
    """Where keep_dataset keeps the CSV hashing to `sha256`."""
    return state / "data" / f"{sha256}.csv"


def read_validation(state: Path, spec: ModelSpec) -> pd.DataFrame:
    """The validation loans of a posted spec from this machine; NotFoundError or DataError if
    the file is missing or no longer hashes to what the spec commits to."""
    sha = spec.metadata.get(catalog.VALIDATION_SHA256, "")
    path = dataset_path(state, sha)
    if not sha or not path.exists():
        raise NotFoundError(
            "this machine does not hold the validation data of that model: open the "
            "lender app on the machine (and data directory) that posted it"
        )
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha:
        raise DataError(f"{path} was modified since the model was posted; restore it")
    return validation_part(data, sha, spec)


def labelled(data: EncodedData) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) of an encoded validation set; DataError if it has no labels."""
    if data.y is None:
        raise DataError("the validation data has no `default` labels")
    return data.X, data.y


def base_weights(spec: ModelSpec, train_part: pd.DataFrame | None, progress: Progress) -> Weights:
    """The base model: zero weights, or (non-private) training on the lender's own part."""
    weights = init_weights(spec)
    if train_part is None:
        return weights

    def scaled(f: float, m: str) -> None:
        progress(0.1 + 0.7 * f, f"training the base model on your own loans: {m}")

    plain, hooks = TrainConfig(None, seed=0), TrainHooks(progress=scaled)
    return train_update(spec, weights, train_part, plain, hooks=hooks).weights
