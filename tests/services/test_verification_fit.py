"""A verified model's verifier held to its spec's circuit, whatever the spec (no raise)."""

from __future__ import annotations

import pytest

from fedlend.services.verification import Verification
from fedlend.services.verifier_check import VerifierCheck
from fl.spec import Feature, ModelSpec


def _verification(words: int, points: int) -> Verification:
    check = VerifierCheck(True, "its verifier is the project's", "0x" + "11" * 20, words, points)
    return Verification(1, "0x" + "22" * 20, b"c", 64, b"v", 1, "0xtx", (), check)


def _spec(numeric: int, categories: int = 0) -> ModelSpec:
    features = [Feature(f"f{i}", "numeric") for i in range(numeric)]
    if categories:
        features.append(Feature("c", "categorical", categories=tuple("abcdefgh"[:categories])))
    return ModelSpec(features=tuple(features))


@pytest.mark.parametrize(
    ("spec", "words", "points"),
    [(_spec(3), 1, 2), (_spec(4), 1, 2), (_spec(2, 3), 2, 3), (_spec(9), 2, 2)],
    ids=["3 numeric", "4 numeric (5 weights, one word)", "a categorical block", "10 weights"],
)
def test_a_verifier_set_for_the_spec_s_circuit_passes(
    spec: ModelSpec, words: int, points: int
) -> None:
    assert _verification(words, points).for_spec(spec).check.ok
    assert not _verification(words, points - 1).for_spec(spec).check.ok  # fewer data points
    assert not _verification(words + 1, points).for_spec(spec).check.ok


def test_a_spec_no_circuit_can_have_fails_the_check_without_raising() -> None:
    check = _verification(1, 2).for_spec(_spec(1100)).check
    assert not check.ok
    assert "1..1024 features" in check.message
    assert check.message.endswith("its scores cannot be trusted")


def test_without_a_spec_the_check_is_unchanged() -> None:
    assert _verification(0, 0).for_spec(None).check.ok
