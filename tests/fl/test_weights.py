"""Weights as safetensors: exact round-trip; hostile update blobs refused, never a crash."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

from fedlend.errors import SpecError, UpdateRejectedError
from fl.evaluate import validate_update
from fl.models import init_weights
from fl.spec import ModelSpec
from fl.weights import load_model, save_model, weights_from_bytes, weights_to_bytes


@pytest.fixture
def weights(spec: ModelSpec) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(3)
    return {k: torch.randn(v.shape, generator=g) * 0.1 for k, v in init_weights(spec).items()}


def test_round_trip_is_exact_and_deterministic(spec: ModelSpec, weights: dict) -> None:
    blob = weights_to_bytes(weights, spec=spec)
    assert blob == weights_to_bytes({k: v.clone() for k, v in weights.items()}, spec=spec)
    back = weights_from_bytes(blob, spec)
    assert all(torch.equal(back[k], weights[k]) for k in weights)
    standard = st_load(blob)  # readable by the reference safetensors implementation
    assert all(torch.equal(standard[k], weights[k]) for k in weights)
    assert weights_from_bytes(st_save(weights), spec).keys() == weights.keys()


def test_mlp_weights_round_trip(lender_frame: pd.DataFrame) -> None:
    from fl.features import SpecOptions, build_spec

    mlp = build_spec(lender_frame, SpecOptions(model="mlp", hidden=8))
    w = init_weights(mlp, seed=1)
    assert w["hidden.weight"].shape == (8, mlp.n_inputs)
    assert not torch.equal(w["hidden.weight"], init_weights(mlp, seed=2)["hidden.weight"])
    back = weights_from_bytes(weights_to_bytes(w, spec=mlp), mlp)
    assert all(torch.equal(back[k], w[k]) for k in w)


def test_save_and_load_model_directory(tmp_path: Path, spec: ModelSpec, weights: dict) -> None:
    save_model(tmp_path / "m", spec, weights)
    loaded_spec, loaded = load_model(tmp_path / "m")
    assert loaded_spec.digest == spec.digest
    assert all(torch.equal(loaded[k], weights[k]) for k in weights)
    (tmp_path / "m" / "weights.safetensors").unlink()
    with pytest.raises(SpecError, match="not a saved model"):
        load_model(tmp_path / "m")


def _header_blob(_spec: ModelSpec, header: dict, data: bytes) -> bytes:
    head = json.dumps(header).encode()
    return struct.pack("<Q", len(head)) + head + data


def _wrong_dtype(_spec: ModelSpec, w: dict) -> bytes:
    return st_save({k: v.double() for k, v in w.items()})


def _wrong_shape(spec: ModelSpec, w: dict) -> bytes:
    return st_save({**w, "linear.weight": torch.zeros(1, spec.n_inputs + 1)})


def _with(value: float) -> Callable[[ModelSpec, dict], bytes]:
    def make(_spec: ModelSpec, w: dict) -> bytes:
        bad = w["linear.weight"].clone()
        bad[0, 3] = value
        return weights_to_bytes({**w, "linear.weight": bad})

    return make


BAD_BLOBS: dict[str, tuple[Callable[[ModelSpec, dict], bytes], str]] = {
    "wrong-shape": (_wrong_shape, "shape"),
    "wrong-dtype": (_wrong_dtype, "dtype must be F32"),
    "nan": (_with(float("nan")), "NaN or infinity"),
    "inf": (_with(float("inf")), "NaN or infinity"),
    "huge-norm": (_with(1e6), "norm"),
    "truncated": (lambda _s, w: weights_to_bytes(w)[:-7], "extra or missing bytes|offsets"),
    "header-only": (lambda _s, w: weights_to_bytes(w)[:20], "header length"),
    "tiny": (lambda _s, _w: b"\x01\x02", "shorter than"),
    "empty": (lambda _s, _w: b"", "shorter than"),
    "extra-tensor": (lambda _s, w: st_save({**w, "backdoor": torch.zeros(3)}), "extra"),
    "missing-tensor": (lambda _s, w: st_save({"linear.weight": w["linear.weight"]}), "missing"),
    "forged-length": (lambda _s, _w: struct.pack("<Q", 2**63) + b"{}", "header length"),
    "header-not-json": (lambda _s, _w: struct.pack("<Q", 4) + b"\xff\xfe{[", "not valid JSON"),
    "header-list": (lambda s, _w: _header_blob(s, [], b""), "not an object"),  # type: ignore[arg-type]
    "trailing-bytes": (lambda _s, w: weights_to_bytes(w) + b"\x00" * 8, "extra or missing bytes"),
    "other-spec": (
        lambda _s, w: weights_to_bytes(w, metadata={"spec": "00" * 32}),
        "different model spec",
    ),
    "bad-offsets": (
        lambda s, _w: _header_blob(
            s,
            {
                "linear.bias": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                "linear.weight": {
                    "dtype": "F32",
                    "shape": [1, s.n_inputs],
                    "data_offsets": [0, 4 * s.n_inputs],
                },
            },
            b"\x00" * (4 * s.n_inputs + 4),
        ),
        "overlaps",
    ),
    "oversized": (lambda _s, w: weights_to_bytes(w) + b" " * (1 << 20), "byte limit"),
    "shape-int": (lambda _s, w: _retyped(w, "shape", 5), "shape 5 "),
    "shape-string": (lambda _s, w: _retyped(w, "shape", "1x5"), "shape '1x5'"),
    "offsets-bool": (lambda _s, w: _retyped(w, "data_offsets", [False, True]), "offsets"),
    "deep-header": (
        lambda _s, _w: struct.pack("<Q", 60_000) + b"[" * 60_000,
        "nests 60,000 levels deep",
    ),
    "header-nan": (lambda s, _w: _header_blob(s, {"x": float("nan")}, b""), "NaN is not allowed"),
}


def _retyped(w: dict, field: str, value: object) -> bytes:
    blob = weights_to_bytes(w)
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + length])
    header["linear.bias"][field] = value
    return _header_blob(None, header, blob[8 + length :])  # type: ignore[arg-type]


@pytest.mark.parametrize("case", sorted(BAD_BLOBS))
def test_hostile_update_blobs_are_rejected_with_a_reason(
    spec: ModelSpec, weights: dict, case: str
) -> None:
    make, reason = BAD_BLOBS[case]
    with pytest.raises(UpdateRejectedError, match=reason):
        validate_update(spec, make(spec, weights), max_norm=50.0)


def test_good_update_passes_and_an_older_blobs_claims_are_ignored(
    spec: ModelSpec, weights: dict
) -> None:
    legacy = {"base": "ab" * 32, "n_examples": "-5", "epsilon": "1.5", "delta": "1e-05"}
    blob = weights_to_bytes(weights, spec=spec, metadata=legacy)  # as blobs before one carrier
    base = init_weights(spec)
    checked = validate_update(spec, blob, base_weights=base)
    assert set(vars(checked)) == {"weights", "norm"}  # claims come from the signed header only
    assert all(torch.equal(checked.weights[k], weights[k]) for k in weights)
    expected = float(torch.cat([v.reshape(-1) for v in weights.values()]).double().norm())
    assert checked.norm == pytest.approx(expected, rel=1e-6)
    with pytest.raises(UpdateRejectedError, match="norm"):
        validate_update(spec, blob, base_weights=base, max_norm=expected / 2)


@pytest.mark.parametrize(
    "tensors",
    [
        {"linear.weight": "x", "linear.bias": torch.zeros(1)},
        {"linear.bias": torch.zeros(1)},
        {"linear.weight": torch.zeros(1, 2, dtype=torch.float32), "linear.bias": torch.zeros(1)},
    ],
    ids=["not-a-tensor", "missing", "wrong-shape"],
)
def test_tensor_dicts_are_checked_too(spec: ModelSpec, tensors: dict) -> None:
    with pytest.raises(UpdateRejectedError):
        validate_update(spec, tensors)
    with pytest.raises(UpdateRejectedError):
        validate_update(spec, 12345)  # type: ignore[arg-type]
