"""The served model saves as canonical JSON + safetensors, loads identically, refuses tampering."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from fedlend.errors import SpecError
from signals import model
from signals.classifier import design_matrix
from signals.dataset import AddressData
from signals.model import ServedModel


def test_round_trip_is_identical(
    quick_model: ServedModel, quick_dir: Path, address_data: AddressData
) -> None:
    loaded = model.load(quick_dir)
    x = design_matrix(address_data, with_artifacts=False)
    np.testing.assert_array_equal(loaded.trees.proba(x), quick_model.trees.proba(x))
    assert loaded.thresholds == quick_model.thresholds
    assert loaded.profiles.names == quick_model.profiles.names


def test_same_model_same_version(quick_model: ServedModel, tmp_path: Path) -> None:
    assert model.save(quick_model, tmp_path / "a") == model.save(quick_model, tmp_path / "b")
    assert (tmp_path / "a" / "arrays.safetensors").read_bytes() == (
        tmp_path / "b" / "arrays.safetensors"
    ).read_bytes()


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_tampered_arrays_are_refused(quick_dir: Path, tmp_path: Path) -> None:
    path = _copy(quick_dir, tmp_path / "m")
    blob = bytearray((path / "arrays.safetensors").read_bytes())
    blob[-1] ^= 0xFF
    (path / "arrays.safetensors").write_bytes(bytes(blob))
    with pytest.raises(SpecError, match="does not match"):
        model.load(path)


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: s.update(format="pickle"),
        lambda s: s.update(features=["x"]),
        lambda s: s["trees"].update(depth="3"),
        lambda s: s["profiles"].update(names=[7]),
        lambda s: s.pop("thresholds"),
    ],
    ids=["format", "features", "depth-type", "name-type", "no-thresholds"],
)
def test_malformed_specs_are_refused(quick_dir: Path, tmp_path: Path, edit: object) -> None:
    path = _copy(quick_dir, tmp_path / "m")
    spec = json.loads((path / "spec.json").read_bytes())
    edit(spec)  # type: ignore[operator]
    (path / "spec.json").write_text(json.dumps(spec))
    with pytest.raises(SpecError):
        model.load(path)


@pytest.mark.parametrize("content", [b"", b"{not json", b"[1, 2]"])
def test_garbage_spec_is_refused(quick_dir: Path, tmp_path: Path, content: bytes) -> None:
    path = _copy(quick_dir, tmp_path / "m")
    (path / "spec.json").write_bytes(content)
    with pytest.raises(SpecError):
        model.load(path)


def test_missing_model_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="fedlend signals train"):
        model.load(tmp_path / "nothing")


def test_shipped_model_loads_and_meets_its_goals(address_data: AddressData) -> None:
    served = model.load()
    report = served.report
    assert {(m["model"], m["variant"]) for m in report["classifiers"]} == {
        (name, variant)
        for name in ("random_forest", "knn", "svm", "gradient_boosting")
        for variant in ("with_artifacts", "without_artifacts")
    }
    assert served.profiles.silhouette >= 0.5
    assert len(set(served.profiles.names)) == len(served.profiles.names) >= 3
    clean = address_data.subset(~address_data.artifact)
    p = served.trees.proba(design_matrix(clean, with_artifacts=False))
    assert p[clean.labels == 1].mean() > 0.5 > p[clean.labels == 0].mean()
