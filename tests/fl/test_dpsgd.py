"""The closed-form DP-SGD path against Opacus's own clipped, noised step (the reference)."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from fl.dp import DPPlan, Mechanism
from fl.dpsgd import DPRun, Engine, dp_train
from fl.features import EncodedData, SpecOptions, build_spec, encode
from fl.models import Weights, init_weights, load_into, state_of
from fl.persample import clipped_sum_for
from fl.spec import ModelSpec
from fl.train import TrainConfig, TrainResult, train_update

TOLERANCE = 1e-6  # float32 rounding of a different but equal sum


@pytest.fixture(scope="module", params=["logreg", "mlp"])
def kind_spec(request: pytest.FixtureRequest, lender_frame: pd.DataFrame) -> ModelSpec:
    """A spec of each shipped model kind."""
    return build_spec(lender_frame, SpecOptions(model=request.param, hidden=8))


def _one_step(spec: ModelSpec, w0: Weights, data: EncodedData, engine: str, clip: float) -> Weights:
    """One Poisson-sampled, clipped, noised DP-SGD step from w0 (seed 11), by either engine."""
    plan = DPPlan(
        mechanism=Mechanism(noise_multiplier=1.3, sample_rate=0.5, steps=1),
        epsilon=1.0,
        delta=1e-5,
        batches_per_epoch=1,
        epochs=1,
        expected_batch_size=data.n * 0.5,
    )
    run = DPRun(plan=plan, lr=0.7, clip=clip, generator=torch.Generator().manual_seed(11))
    module = load_into(spec, w0).train()
    X, y = torch.from_numpy(data.X), torch.from_numpy(data.y)
    steps, epsilon = dp_train(module, X, y, run, lambda _d, _t: None, engine)  # type: ignore[arg-type]
    assert steps == 1
    assert epsilon > 0
    return state_of(module)


def _max_diff(a: Weights, b: Weights) -> float:
    return max((a[k] - b[k]).abs().max().item() for k in a)


@pytest.mark.parametrize("clip", [0.05, 3.0, 1e6])  # every sample clipped / some / none
def test_fast_step_is_opacus_step_same_noise_draw(
    kind_spec: ModelSpec, owner_data: EncodedData, clip: float
) -> None:
    w0 = init_weights(kind_spec, seed=3)
    data = EncodedData(X=owner_data.X[:400], y=owner_data.labels[:400])
    reference = _one_step(kind_spec, w0, data, "opacus", clip)
    fast = _one_step(kind_spec, w0, data, "fast", clip)
    assert _max_diff(reference, w0) > 1e-3  # the step moved the weights
    assert _max_diff(fast, reference) < TOLERANCE


def test_clipping_and_noise_matter(kind_spec: ModelSpec, owner_data: EncodedData) -> None:
    w0 = init_weights(kind_spec, seed=3)
    data = EncodedData(X=owner_data.X[:400], y=owner_data.labels[:400])
    tight, loose = (_one_step(kind_spec, w0, data, "fast", c) for c in (0.05, 1e6))
    assert _max_diff(tight, loose) > 1e-3  # a test of the step would notice missing clipping


def test_closed_form_covers_the_shipped_kinds(kind_spec: ModelSpec) -> None:
    assert clipped_sum_for(load_into(kind_spec, init_weights(kind_spec))) is not None
    assert clipped_sum_for(torch.nn.Linear(3, 1)) is None  # anything else: Opacus's hooks


@pytest.mark.parametrize(("n", "batch"), [(3000, None), (6, 1)])  # many steps / empty batches
def test_whole_run_matches_opacus(
    kind_spec: ModelSpec, loans: pd.DataFrame, n: int, batch: int | None
) -> None:
    data = encode(kind_spec, loans.sample(n, random_state=5))
    w0 = init_weights(kind_spec, seed=0)

    def run(dp_engine: Engine) -> TrainResult:
        return train_update(
            kind_spec,
            w0,
            data,
            TrainConfig(2.0, epochs=3, seed=9, batch_size=batch, dp_engine=dp_engine),
        )

    reference = run("opacus")
    fast = run("fast")
    assert (fast.steps, fast.epsilon, fast.mechanism) == (
        reference.steps,
        reference.epsilon,
        reference.mechanism,
    )
    assert _max_diff(fast.weights, reference.weights) < 1e-5
    assert _max_diff(fast.weights, w0) > 1e-3
