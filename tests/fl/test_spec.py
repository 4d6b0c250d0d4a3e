"""The model spec: deduced from data deterministically, canonical JSON, hashed, strictly parsed."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from fedlend.errors import SpecError
from fl.features import SpecOptions, build_spec
from fl.spec import ModelSpec, canonical_json


def test_same_data_gives_the_same_digest_whatever_the_row_order(
    lender_frame: pd.DataFrame, spec: ModelSpec
) -> None:
    shuffled = lender_frame.sample(frac=1.0, random_state=99)
    again = build_spec(shuffled)
    assert again.digest == spec.digest
    assert again.to_json() == spec.to_json()
    assert len(spec.digest) == 32


def test_other_data_gives_another_digest(loans: pd.DataFrame, spec: ModelSpec) -> None:
    other = build_spec(loans.sample(2000, random_state=1))
    assert other.digest != spec.digest


def test_deduced_features_types_and_exclusions(spec: ModelSpec) -> None:
    kinds = {f.name: f.kind for f in spec.features}
    assert kinds["loan_amnt"] == "numeric"
    assert kinds["earliest_cr_line"] == "months_before"
    assert kinds["grade"] == "categorical"
    assert kinds["emp_length"] == "categorical"
    for never in ("id", "loan_status", "issue_d", "default", "meets_credit_policy", "zip_code"):
        assert never not in kinds  # ids, outcome, reference date, constant, high-cardinality
    income = next(f for f in spec.features if f.name == "annual_inc")
    assert income.transform == "log1p"  # heavy-tailed, so log-scaled


def test_json_round_trip_is_exact_and_canonical(spec: ModelSpec) -> None:
    text = spec.to_json()
    assert ModelSpec.from_json(text) == spec
    assert text == canonical_json(json.loads(text))
    pretty = json.dumps(json.loads(text), indent=4).encode()
    assert ModelSpec.from_json(pretty).digest == spec.digest


def test_metadata_is_part_of_the_digest(spec: ModelSpec) -> None:
    tagged = spec.with_metadata(title="Small-business loans", enc_pubkey="ab" * 32)
    assert tagged.digest != spec.digest
    assert ModelSpec.from_json(tagged.to_json()).metadata["title"] == "Small-business loans"
    assert tagged.with_metadata(title="other").digest != tagged.digest


def test_mlp_spec_and_options(lender_frame: pd.DataFrame) -> None:
    mlp = build_spec(lender_frame, SpecOptions(model="mlp", hidden=8, metric="accuracy"))
    assert mlp.model.kind == "mlp"
    assert mlp.model.hidden == 8
    assert mlp.metric == "accuracy"
    chosen = build_spec(lender_frame, SpecOptions(features=("fico_range_low", "grade")))
    assert [f.name for f in chosen.features] == ["fico_range_low", "grade"]


@pytest.mark.parametrize("column", ["loan_status", "id", "issue_d", "default", "total_pymnt"])
def test_leakage_columns_are_refused_as_features(lender_frame: pd.DataFrame, column: str) -> None:
    frame = lender_frame.assign(total_pymnt="100")
    with pytest.raises(SpecError, match="cannot be a feature"):
        build_spec(frame, SpecOptions(features=("loan_amnt", column)))


def _mutate(spec: ModelSpec, path: tuple[object, ...], value: object) -> bytes:
    obj = json.loads(spec.to_json())
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return json.dumps(obj).encode()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("version",), 2, "version"),
        (("model", "kind"), "xgboost", "model kind"),
        (("metric",), "f1", "metric"),
        (("features", 0, "std"), 0.0, "std > 0"),
        (("features", 0, "kind"), "image", "kind"),
        (("features", 0, "name"), "loan_status", "cannot be a feature"),
        (("features",), [], "no features"),
        (("training", "lr"), -1, "out of range"),
        (("training", "delta"), 1.5, "out of range"),
        (("metadata",), {"k": 1}, "metadata"),
        (("model",), "logreg", "spec model must be a JSON object"),
        (("training", "lr"), "0.1", "'lr' must be a finite number, not a string"),
        (("training", "epochs"), True, "'epochs' must be int"),
        (("training", "batch_size"), 10**400, "'batch_size' is out of range"),
        (("clip",), 10**400, "'clip' must be a finite number"),
        (("features", 0, "mean"), None, "'mean' must be a finite number, not null"),
        (("features", 0), [1, 2], "feature 0 must be a JSON object, not a list"),
        (("features", 0, "name"), 5, "'name' must be str"),
        (("policy_only",), "yes", "'policy_only' must be bool"),
        (("target",), "x" * 5000, "over 1000 characters"),
    ],
)
def test_malformed_specs_are_refused(
    spec: ModelSpec, path: tuple[object, ...], value: object, message: str
) -> None:
    with pytest.raises(SpecError, match=message):
        ModelSpec.from_json(_mutate(spec, path, value))


@pytest.mark.parametrize(
    "blob",
    [
        b"not json",
        b"[1, 2]",
        b'{"version": 1}',
        b"\xff\xfe",
        b"[" * 100_000,
        b'{"version": 1, "clip": NaN}',
        b'{"version": 1, "clip": ' + b"9" * 5000 + b"}",
    ],
)
def test_non_spec_bytes_are_refused(blob: bytes) -> None:
    with pytest.raises(SpecError):
        ModelSpec.from_json(blob)
