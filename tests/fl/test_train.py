"""Local training with real Opacus DP-SGD on real loans: epsilon honoured, AUC up, controls."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from fedlend.errors import JobCancelledError, PrivacyBudgetError
from fl.dp import calibrate_noise, plan_dp
from fl.evaluate import metric_value, score_data, validate_update
from fl.features import EncodedData, SpecOptions, build_spec, encode
from fl.models import init_weights, subtract
from fl.spec import ModelSpec
from fl.train import TrainConfig, TrainHooks, train_update, update_to_bytes
from fl.weights import parse_weights, weights_to_bytes


@pytest.mark.parametrize("epsilon", [1.0, 3.0])
def test_dp_training_spends_the_epsilon_asked_for_and_improves_auc(
    spec: ModelSpec, owner_data: EncodedData, test_data: EncodedData, epsilon: float
) -> None:
    w0 = init_weights(spec)
    result = train_update(spec, w0, owner_data, TrainConfig(epsilon, seed=1))
    assert result.private
    assert result.delta == spec.training.delta
    assert result.epsilon is not None
    assert epsilon - 0.05 <= result.epsilon <= epsilon  # Opacus RDP accountant, after training
    assert result.n_examples == 3000
    assert result.steps == 3 * spec.training.epochs
    assert result.mechanism is not None
    assert result.mechanism.sample_rate == pytest.approx(1 / 3)
    auc = metric_value(spec, result.weights, test_data.X, test_data.labels, "roc_auc")
    assert metric_value(spec, w0, test_data.X, test_data.labels, "roc_auc") == 0.5
    assert auc > 0.64  # zero weights score 0.5; one owner's DP model learns real signal
    for name, change in subtract(result.weights, w0).items():
        assert torch.allclose(w0[name] + change, result.weights[name], atol=1e-6)


def test_rounds_split_the_budget_and_no_dp_is_better_but_unaccounted(
    spec: ModelSpec, owner_data: EncodedData, test_data: EncodedData
) -> None:
    w0 = init_weights(spec)
    per_round = train_update(spec, w0, owner_data, TrainConfig(3.0, rounds=3, seed=1))
    assert per_round.epsilon is not None
    assert per_round.epsilon < 2.0  # three such runs compose (RDP) to 3
    plain = train_update(spec, w0, owner_data, TrainConfig(None, seed=1))
    assert plain.epsilon is None
    assert plain.mechanism is None
    assert plain.delta == 0.0
    assert score_data(spec, plain.weights, test_data).roc_auc > 0.66


def test_same_seed_same_weights(spec: ModelSpec, owner_data: EncodedData) -> None:
    w0 = init_weights(spec)
    a = train_update(spec, w0, owner_data, TrainConfig(2.0, seed=5, epochs=2))
    b = train_update(spec, w0, owner_data, TrainConfig(2.0, seed=5, epochs=2))
    c = train_update(spec, w0, owner_data, TrainConfig(2.0, seed=6, epochs=2))
    assert all(torch.equal(a.weights[k], b.weights[k]) for k in a.weights)
    assert not torch.equal(a.weights["linear.weight"], c.weights["linear.weight"])


def test_progress_is_reported_and_cancel_aborts(spec: ModelSpec, owner_data: EncodedData) -> None:
    seen: list[tuple[float, str]] = []
    train_update(
        spec,
        init_weights(spec),
        owner_data,
        TrainConfig(2.0, epochs=4, seed=0),
        hooks=TrainHooks(progress=lambda f, m: seen.append((f, m))),
    )
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert len(seen) == 5
    calls = iter([False, False, True])
    with pytest.raises(JobCancelledError, match="cancelled"):
        train_update(
            spec,
            init_weights(spec),
            owner_data,
            TrainConfig(2.0, epochs=4, seed=0),
            hooks=TrainHooks(cancel=lambda: next(calls)),
        )


def test_submission_blob_is_the_weights_alone(spec: ModelSpec, owner_data: EncodedData) -> None:
    w0 = init_weights(spec)
    result = train_update(spec, w0, owner_data, TrainConfig(2.0, epochs=2, seed=0))
    blob = update_to_bytes(spec, result)
    _weights, meta = parse_weights(blob, spec)
    assert meta["kind"] == "update"
    assert not {"base", "n_examples", "epsilon", "delta"} & set(meta)  # in the signed header
    assert blob == weights_to_bytes(result.weights, spec=spec, metadata={"kind": "update"})
    checked = validate_update(spec, blob, base_weights=w0)
    assert all(torch.equal(checked.weights[k], result.weights[k]) for k in w0)


def test_mlp_trains_with_dp(lender_frame: pd.DataFrame, loans: pd.DataFrame) -> None:
    mlp = build_spec(lender_frame, SpecOptions(model="mlp", hidden=8))
    data = encode(mlp, loans.sample(1500, random_state=3))
    result = train_update(mlp, init_weights(mlp, seed=0), data, TrainConfig(3.0, epochs=3, seed=0))
    assert result.epsilon == pytest.approx(3.0, abs=0.05)
    assert set(result.weights) == {"hidden.weight", "hidden.bias", "out.weight", "out.bias"}


def test_tiny_datasets_and_empty_poisson_batches_still_work(
    spec: ModelSpec, owner_data: EncodedData
) -> None:
    tiny = EncodedData(X=owner_data.X[:4], y=owner_data.labels[:4])
    result = train_update(spec, init_weights(spec), tiny, TrainConfig(1.0, batch_size=1, seed=0))
    assert all(torch.isfinite(v).all() for v in result.weights.values())


def test_calibration_is_cached_and_impossible_budgets_refused() -> None:
    calibrate_noise.cache_clear()
    plan_dp(2900, epsilon=2.0, delta=1e-5, batch_size=1024, epochs=10)
    plan_dp(3000, epsilon=2.0, delta=1e-5, batch_size=1024, epochs=10)  # same k = 3
    assert calibrate_noise.cache_info().hits == 1
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(PrivacyBudgetError):
            plan_dp(3000, epsilon=bad, delta=1e-5, batch_size=1024, epochs=10)
