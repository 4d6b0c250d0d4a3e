"""Weights as safetensors bytes (written deterministically, parsed defensively), and model dirs."""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from fedlend_core.bounded_json import loads_bounded
from fedlend_core.errors import SpecError
from fl.models import Weights, expected_shapes
from fl.spec import ModelSpec, canonical_json

FORMAT = "fedlend-weights-v1"
MAX_HEADER_BYTES = 64 << 10
SPEC_FILE = "spec.json"
WEIGHTS_FILE = "weights.safetensors"


class WeightsFormatError(ValueError):
    """Internal: why a blob is not acceptable weights (callers turn it into a FedlendError)."""


def weights_to_bytes(
    weights: Mapping[str, torch.Tensor],
    *,
    spec: ModelSpec | None = None,
    metadata: Mapping[str, str] | None = None,
) -> bytes:
    """Safetensors bytes (F32, sorted names, canonical header): same weights -> same bytes."""
    meta = {"format": FORMAT, **(metadata or {})}
    if spec is not None:
        meta["spec"] = spec.digest_hex
    header: dict[str, object] = {"__metadata__": meta}
    chunks: list[bytes] = []
    offset = 0
    for name in sorted(weights):
        array = weights[name].detach().cpu().to(torch.float32).contiguous().numpy()
        raw = array.astype("<f4", copy=False).tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        chunks.append(raw)
        offset += len(raw)
    head = canonical_json(header)
    head += b" " * (-len(head) % 8)
    return struct.pack("<Q", len(head)) + head + b"".join(chunks)


def weights_digest(blob: bytes) -> bytes:
    """sha256 of a weights blob (the digest stored on-chain)."""
    return hashlib.sha256(blob).digest()


def parse_weights(blob: bytes, spec: ModelSpec) -> tuple[Weights, dict[str, str]]:
    """Tensors + metadata from a blob, checked against the spec; WeightsFormatError on any flaw."""
    if not isinstance(blob, bytes | bytearray) or len(blob) < 8:
        raise WeightsFormatError("blob is shorter than a safetensors header")
    (head_len,) = struct.unpack("<Q", blob[:8])
    if head_len > MAX_HEADER_BYTES or 8 + head_len > len(blob):
        raise WeightsFormatError("safetensors header length is out of range (truncated or forged)")
    try:
        header = loads_bounded(
            blob[8 : 8 + head_len],
            error=SpecError,
            what="the safetensors header",
            max_bytes=MAX_HEADER_BYTES,
            max_depth=4,
        )
    except SpecError as exc:
        raise WeightsFormatError(str(exc)) from exc
    if not isinstance(header, dict):
        raise WeightsFormatError("safetensors header is not an object")
    meta = header.pop("__metadata__", {}) or {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise WeightsFormatError("safetensors metadata must map strings to strings")
    if meta.get("spec", spec.digest_hex) != spec.digest_hex:
        raise WeightsFormatError("weights were made for a different model spec")
    shapes = expected_shapes(spec)
    if set(header) != set(shapes):
        extra, missing = sorted(set(header) - set(shapes)), sorted(set(shapes) - set(header))
        raise WeightsFormatError(
            f"tensor names differ from the spec (extra {extra}, missing {missing})"
        )
    data = memoryview(blob)[8 + head_len :]
    tensors = {name: _tensor(name, header[name], shapes[name], data) for name in sorted(shapes)}
    _check_layout([header[name]["data_offsets"] for name in shapes], len(data))
    return tensors, dict(meta)


def _check_layout(offsets: list[list[int]], size: int) -> None:
    """Tensors must tile the data exactly: no overlap, no gap, no trailing bytes."""
    end = 0
    for start, stop in sorted(offsets):
        if start != end:
            raise WeightsFormatError("tensor data overlaps or leaves gaps (forged offsets)")
        end = stop
    if end != size:
        raise WeightsFormatError("blob has extra or missing bytes after the tensors")


def _tensor(name: str, info: object, shape: tuple[int, ...], data: memoryview) -> torch.Tensor:
    if not isinstance(info, dict) or info.get("dtype") != "F32":
        raise WeightsFormatError(f"{name}: dtype must be F32")
    got = info.get("shape")
    if not isinstance(got, list) or got != list(shape) or any(isinstance(d, bool) for d in got):
        raise WeightsFormatError(f"{name}: shape {got!r:.80} != expected {list(shape)}")
    offsets = info.get("data_offsets")
    size = 4 * math.prod(shape)
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
        or offsets[1] - offsets[0] != size
        or offsets[0] < 0
        or offsets[1] > len(data)
    ):
        raise WeightsFormatError(f"{name}: data offsets are invalid")
    array = np.frombuffer(data[offsets[0] : offsets[1]], dtype="<f4").astype(np.float32)
    if not np.isfinite(array).all():
        raise WeightsFormatError(f"{name}: contains NaN or infinity")
    return torch.from_numpy(array.reshape(shape).copy())


def weights_from_bytes(blob: bytes, spec: ModelSpec) -> Weights:
    """Weights from safetensors bytes, validated against the spec (SpecError if they do not fit)."""
    try:
        return parse_weights(blob, spec)[0]
    except WeightsFormatError as exc:
        raise SpecError(f"weights do not fit the model spec: {exc}") from exc


def save_model(directory: str | Path, spec: ModelSpec, weights: Mapping[str, torch.Tensor]) -> Path:
    """Write DIR/spec.json (canonical) and DIR/weights.safetensors; returns the directory."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for name, content in (
        (SPEC_FILE, spec.to_json()),
        (WEIGHTS_FILE, weights_to_bytes(weights, spec=spec)),
    ):
        tmp = path / f".{name}.tmp"
        tmp.write_bytes(content)
        tmp.replace(path / name)
    return path


def load_model(directory: str | Path) -> tuple[ModelSpec, Weights]:
    """Read a directory written by save_model; SpecError says what is missing or wrong."""
    path = Path(directory)
    try:
        spec = ModelSpec.from_json((path / SPEC_FILE).read_bytes())
        blob = (path / WEIGHTS_FILE).read_bytes()
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise SpecError(
            f"{path} is not a saved model: it needs {SPEC_FILE} and {WEIGHTS_FILE}"
        ) from exc
    return spec, weights_from_bytes(blob, spec)
