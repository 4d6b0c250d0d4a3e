"""Open a finished model from a folder or the lender app's zip (bounded, never unpickled)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from fedlend_core.errors import SpecError
from fl.models import Weights
from fl.spec import MAX_SPEC_BYTES, ModelSpec
from fl.weights import SPEC_FILE, WEIGHTS_FILE, load_model, weights_digest, weights_from_bytes

MAX_WEIGHTS_BYTES = 64 << 20
MAX_ZIP_BYTES = 128 << 20


@dataclass(frozen=True)
class LoadedModel:
    """A spec, its weights, and the sha256 of the weights blob (the on-chain weights digest)."""

    spec: ModelSpec
    weights: Weights
    digest: bytes
    source: str

    @property
    def digest_hex(self) -> str:
        """The weights digest as hex."""
        return self.digest.hex()


def open_model(path: str | Path) -> LoadedModel:
    """A model folder (spec.json + weights.safetensors) or a zip holding both."""
    where = Path(path)
    if where.is_dir():
        spec, weights = load_model(where)
        blob = (where / WEIGHTS_FILE).read_bytes()
        return LoadedModel(spec, weights, weights_digest(blob), str(where))
    if not where.exists():
        raise SpecError(f"no model at {where}: give a model folder or the model zip")
    if where.stat().st_size > MAX_ZIP_BYTES:
        raise SpecError(f"{where} is over {MAX_ZIP_BYTES:,} bytes; not a fedlend model zip")
    return model_from_zip(where.read_bytes(), source=str(where))


def model_from_zip(data: bytes, *, source: str = "zip") -> LoadedModel:
    """Read spec.json and weights.safetensors from zip bytes, size-checked before reading."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            spec_bytes = _member(archive, SPEC_FILE, MAX_SPEC_BYTES)
            blob = _member(archive, WEIGHTS_FILE, MAX_WEIGHTS_BYTES)
    except zipfile.BadZipFile as exc:
        raise SpecError(
            f"{source} is neither a model folder nor a readable zip ({exc}); download it again"
        ) from exc
    spec = ModelSpec.from_json(spec_bytes)
    return LoadedModel(spec, weights_from_bytes(blob, spec), weights_digest(blob), source)


def _member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError as exc:
        raise SpecError(f"the zip has no {name}; it is not a fedlend model zip") from exc
    if info.file_size > limit:
        raise SpecError(f"{name} in the zip is {info.file_size:,} bytes, over {limit:,}")
    with archive.open(info) as handle:
        content = handle.read(limit + 1)
    if len(content) > limit:
        raise SpecError(f"{name} in the zip decompresses to over {limit:,} bytes")
    return content
