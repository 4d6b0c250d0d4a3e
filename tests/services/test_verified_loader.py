"""A verified model's weights blob is hostile: exact length, canonical words, sane metadata."""

from __future__ import annotations

import numpy as np
import pytest

from fedlend.errors import FedlendError
from fedlend.services.verified import (
    FEATURE_BITS,
    VERIFIED,
    integer_weights,
    salt_for,
    verified_metadata,
    weights_from_blob,
)
from fl.spec import Feature, ModelConfig, ModelSpec
from zk.field import SCALAR_FIELD
from zk.fixed import FixedPoint
from zk.outputs import weights_blob

FEATURES = tuple(Feature(name, "numeric") for name in ("a", "b", "c"))
SPEC = ModelSpec(features=FEATURES, metadata=verified_metadata(FixedPoint()))
INTS = [256, -512, 3, 4096 * 2]  # weights 1, -2, 3/256; bias 2 (at the score's scale 4096)


def test_the_packed_blob_decodes_to_the_floats_it_stands_for() -> None:
    weights = weights_from_blob(weights_blob(INTS), SPEC)
    assert weights["linear.weight"].tolist() == [[1.0, -2.0, 3 / 256]]
    assert weights["linear.bias"].tolist() == [2.0]
    assert integer_weights(SPEC, weights).tolist() == INTS  # and back, exactly


def _with(**metadata: str) -> ModelSpec:
    return ModelSpec(features=FEATURES, metadata={**SPEC.metadata, **metadata})


@pytest.mark.parametrize(
    ("spec", "blob", "problem"),
    [
        pytest.param(SPEC, weights_blob(INTS)[:-1], "is 32 bytes", id="one byte short"),
        pytest.param(SPEC, weights_blob(INTS) * 2, "is 32 bytes", id="one word too many"),
        pytest.param(
            SPEC, SCALAR_FIELD.to_bytes(32, "big"), "out of range", id="word at the modulus"
        ),
        pytest.param(SPEC, (1 << 125).to_bytes(32, "big"), "out of range", id="a sixth leg"),
        pytest.param(SPEC, weights_blob([*INTS, 7]), "non-zero", id="a weight in the padding"),
        pytest.param(SPEC, weights_blob([-(1 << 24), 0, 0, 0]), "too large", id="huge weight"),
        pytest.param(SPEC, weights_blob([0, 0, 0, -(1 << 24)]), "too large", id="huge bias"),
        pytest.param(_with(**{VERIFIED: "other"}), weights_blob(INTS), "scheme", id="scheme"),
        pytest.param(_with(**{FEATURE_BITS: "99"}), weights_blob(INTS), "0-16", id="bits"),
        pytest.param(_with(**{FEATURE_BITS: "-1"}), weights_blob(INTS), "0-16", id="negative"),
        pytest.param(
            ModelSpec(features=FEATURES, model=ModelConfig("mlp", 2), metadata=SPEC.metadata),
            weights_blob(INTS),
            "logistic regression",
            id="an MLP",
        ),
    ],
)
def test_a_hostile_blob_or_spec_is_refused(spec: ModelSpec, blob: bytes, problem: str) -> None:
    with pytest.raises(FedlendError, match=problem):
        weights_from_blob(blob, spec)


def test_an_unverified_spec_still_reads_safetensors() -> None:
    plain = ModelSpec(features=FEATURES)
    with pytest.raises(FedlendError):
        weights_from_blob(weights_blob(INTS), plain)


def test_the_salt_is_the_same_for_every_round_and_secret_to_the_key() -> None:
    first = salt_for(b"k" * 32, "ab" * 32, SPEC, 5000)
    assert np.array_equal(first, salt_for(b"k" * 32, "ab" * 32, SPEC, 5000))
    assert first.shape == (5000,)
    assert first.min() >= 0
    assert first.max() < 1 << 16
    assert not np.array_equal(first, salt_for(b"j" * 32, "ab" * 32, SPEC, 5000))
    assert not np.array_equal(first[:64], salt_for(b"k" * 32, "cd" * 32, SPEC, 64))
    assert np.unique(first).size > 4000  # not a repeated block
