"""The lender's round policy: Shapley values against brute force, shares, exclusion, determinism."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import roc_auc_score

from fedlend.errors import DataError, UpdateRejectedError
from fl.auc import rank_auc
from fl.coalitions import CoalitionScorer
from fl.evaluate import metric_value
from fl.features import EncodedData, SpecOptions, build_spec, encode
from fl.merge import MergeInput, fedavg
from fl.models import Weights, init_weights
from fl.shapley import SamplingConfig, monte_carlo
from fl.spec import ModelSpec
from fl.strategy import RoundUpdate, ShapleyFedAvg, StrategyConfig, shares_bps
from fl.train import TrainConfig, train_update


def _train(spec: ModelSpec, w0: Weights, data: EncodedData, parts: int) -> list[RoundUpdate]:
    """One real DP update per slice of the owner's loans (slices differ in size)."""
    cuts = np.linspace(0, data.n, parts + 1).astype(int)
    updates = []
    for i in range(parts):
        rows = slice(cuts[i], cuts[i + 1] - 40 * i)  # unequal sizes
        part = EncodedData(data.X[rows], data.labels[rows])
        result = train_update(spec, w0, part, TrainConfig(3.0, epochs=3, seed=i))
        updates.append(RoundUpdate(10 + i, result.weights, w0, result.n_examples))
    return updates


@pytest.fixture(scope="module")
def w0(spec: ModelSpec) -> Weights:
    return init_weights(spec)


@pytest.fixture(scope="module")
def updates(spec: ModelSpec, w0: Weights, owner_data: EncodedData) -> list[RoundUpdate]:
    return _train(spec, w0, owner_data, 8)


@pytest.fixture(scope="module")
def strategy(spec: ModelSpec, validation: EncodedData) -> ShapleyFedAvg:
    return ShapleyFedAvg(spec, validation.X, validation.labels)


def _brute_force(
    spec: ModelSpec, current: Weights, updates: list[RoundUpdate], val: EncodedData
) -> list[float]:
    """Shapley by definition: every permutation, fl.merge.fedavg + sklearn's AUC per coalition."""

    def v(members: tuple[int, ...]) -> float:
        if not members:
            return 0.0
        merged = fedavg(current, [_as_merge(updates[i]) for i in sorted(members)])
        base = metric_value(spec, current, val.X, val.labels, "roc_auc")
        return metric_value(spec, merged, val.X, val.labels, "roc_auc") - base

    n = len(updates)
    total = [0.0] * n
    for order in itertools.permutations(range(n)):
        for k, i in enumerate(order):
            total[i] += v(order[: k + 1]) - v(order[:k])
    return [t / math.factorial(n) for t in total]


def _as_merge(u: RoundUpdate) -> MergeInput:
    return MergeInput(u.weights, u.base, u.n_examples, u.staleness)


def test_exact_shapley_equals_brute_force_and_is_efficient(
    spec: ModelSpec, w0: Weights, updates: list[RoundUpdate], validation: EncodedData
) -> None:
    small = updates[:4]
    result = ShapleyFedAvg(spec, validation.X, validation.labels).evaluate_round(w0, small)
    assert result.method == "exact"
    assert result.permutations == 0
    assert result.values == pytest.approx(_brute_force(spec, w0, small, validation), abs=2e-5)
    v_all = metric_value(
        spec, fedavg(w0, [_as_merge(u) for u in small]), validation.X, validation.labels, "roc_auc"
    ) - metric_value(spec, w0, validation.X, validation.labels, "roc_auc")
    assert sum(result.values) == pytest.approx(v_all, abs=2e-5)  # efficiency: they sum to v(N)
    assert sum(result.values) == pytest.approx(result.v_all, abs=1e-12)
    assert result.std_errors == (0.0,) * 4


def test_stale_update_is_rebased_and_down_weighted(
    spec: ModelSpec, w0: Weights, updates: list[RoundUpdate], validation: EncodedData
) -> None:
    current = fedavg(w0, [_as_merge(u) for u in updates[:2]])
    stale = RoundUpdate(1, updates[2].weights, w0, updates[2].n_examples, staleness=1)
    fresh = [RoundUpdate(2, *_retarget(updates[3], w0, current))]
    strategy = ShapleyFedAvg(spec, validation.X, validation.labels)
    result = strategy.evaluate_round(current, [stale, *fresh])
    assert result.values == pytest.approx(
        _brute_force(spec, current, [stale, *fresh], validation), abs=2e-5
    )


def _retarget(u: RoundUpdate, old: Weights, new: Weights) -> tuple:
    """The same delta, trained from `new` instead of `old`."""
    moved = {k: new[k] + (u.weights[k] - old[k]) for k in new}
    return moved, new, u.n_examples


def test_identical_updates_get_identical_values(
    strategy: ShapleyFedAvg, w0: Weights, updates: list[RoundUpdate]
) -> None:
    twin = RoundUpdate(99, updates[0].weights, w0, updates[0].n_examples)
    result = strategy.evaluate_round(w0, [updates[0], twin, updates[1]])
    assert result.values[0] == pytest.approx(result.values[1], abs=1e-12)
    assert abs(result.shares_bps[0] - result.shares_bps[1]) <= 1  # one bps of remainder at most


def test_a_null_update_gets_zero_and_no_share(
    strategy: ShapleyFedAvg, w0: Weights, updates: list[RoundUpdate]
) -> None:
    null = RoundUpdate(7, updates[0].weights, w0, n_examples=0)  # counts for nothing in FedAvg
    result = strategy.evaluate_round(w0, [*updates[:3], null])
    assert result.values[3] == 0.0
    assert result.included == (True, True, True, False)
    assert result.shares_bps[3] == 0
    assert sum(result.shares_bps) == 10_000


def test_harmful_update_is_excluded_and_paid_nothing(
    strategy: ShapleyFedAvg, w0: Weights, updates: list[RoundUpdate]
) -> None:
    good = updates[:3]
    mirror = {k: -v for k, v in updates[0].weights.items()}  # AUC below 0.5 on its own
    harmful = RoundUpdate(5, mirror, w0, updates[0].n_examples)
    result = strategy.evaluate_round(w0, [*good, harmful])
    assert result.values[3] < 0
    assert not result.included[3]
    assert result.shares_bps[3] == 0
    assert sum(result.shares_bps) == 10_000
    assert all(result.included[:3])
    expected = fedavg(w0, [_as_merge(u) for u in good])
    assert all(torch.equal(result.weights[k], expected[k]) for k in expected)
    assert result.improves
    assert result.score_bps > result.base_score_bps
    assert result.payout_shares_bps == result.shares_bps


def test_round_that_does_not_beat_the_best_pays_nobody(
    strategy: ShapleyFedAvg, w0: Weights, updates: list[RoundUpdate]
) -> None:
    result = strategy.evaluate_round(w0, updates[:3], best_bps=9_999)
    assert not result.improves
    assert result.payout_shares_bps == (0, 0, 0)
    assert sum(result.shares_bps) == 10_000  # the split it would have had, for display


def test_results_are_deterministic_bit_for_bit(
    spec: ModelSpec, w0: Weights, updates: list[RoundUpdate], validation: EncodedData
) -> None:
    config = StrategyConfig(exact_max=4, min_permutations=20, max_permutations=40)
    runs = [
        ShapleyFedAvg(spec, validation.X, validation.labels, config).evaluate_round(w0, updates)
        for _ in range(2)
    ]
    assert runs[0].values == runs[1].values
    assert runs[0].shares_bps == runs[1].shares_bps
    assert runs[0].std_errors == runs[1].std_errors
    assert runs[0].method == "monte-carlo"
    assert all(torch.equal(runs[0].weights[k], runs[1].weights[k]) for k in runs[0].weights)
    other = StrategyConfig(exact_max=4, min_permutations=20, max_permutations=40, seed=1)
    moved = ShapleyFedAvg(spec, validation.X, validation.labels, other).evaluate_round(w0, updates)
    assert moved.values != runs[0].values  # the seed is what fixes the sample


def test_monte_carlo_is_within_its_standard_error_of_exact(
    spec: ModelSpec, w0: Weights, updates: list[RoundUpdate], validation: EncodedData
) -> None:
    exact = ShapleyFedAvg(spec, validation.X, validation.labels).evaluate_round(w0, updates)
    config = StrategyConfig(exact_max=4, min_permutations=400, max_permutations=400)
    sampled = ShapleyFedAvg(spec, validation.X, validation.labels, config).evaluate_round(
        w0, updates
    )
    assert exact.method == "exact"
    assert sampled.method == "monte-carlo"
    assert sampled.permutations == 400
    assert all(s > 0 for s in sampled.std_errors)
    for mc, ex, se in zip(sampled.values, exact.values, sampled.std_errors, strict=True):
        assert abs(mc - ex) <= 4 * se + config.truncation
    assert sum(sampled.values) == pytest.approx(exact.v_all, abs=config.truncation + 1e-9)


@pytest.mark.parametrize("workers", [1, 3])
def test_monte_carlo_is_the_same_bit_for_bit_for_any_worker_count(
    spec: ModelSpec,
    w0: Weights,
    updates: list[RoundUpdate],
    validation: EncodedData,
    workers: int,
) -> None:
    deltas = [{k: u.weights[k] - w0[k] for k in w0} for u in updates]
    scorer = CoalitionScorer(spec, validation.X, validation.labels, w0, deltas)
    weight = np.array([float(u.n_examples) for u in updates])
    config = SamplingConfig(min_permutations=25, max_permutations=25, workers=2)
    reference = monte_carlo(scorer, weight, config)
    again = monte_carlo(scorer, weight, replace(config, workers=workers))
    assert again.permutations == reference.permutations == 25
    assert again.prefixes_scored == reference.prefixes_scored
    assert np.array_equal(again.values, reference.values)
    assert np.array_equal(again.std_errors, reference.std_errors)


def test_mlp_coalitions_score_like_the_module(
    lender_frame: pd.DataFrame, loans: pd.DataFrame
) -> None:
    spec = build_spec(lender_frame, SpecOptions(model="mlp", hidden=8))
    val = encode(spec, lender_frame)
    data = encode(spec, loans.drop(lender_frame.index).iloc[:1500])
    w0 = init_weights(spec, seed=0)
    ups = _train(spec, w0, data, 3)
    result = ShapleyFedAvg(spec, val.X, val.labels).evaluate_round(w0, ups)
    assert result.values == pytest.approx(_brute_force(spec, w0, ups, val), abs=2e-5)


@pytest.mark.parametrize(
    ("keys", "values", "expected"),
    [
        ((1, 2, 3), (1.0, 1.0, 1.0), (3334, 3333, 3333)),
        ((9, 2, 5), (1.0, 1.0, 1.0), (3333, 3334, 3333)),  # the remainder goes to the smaller key
        ((1, 2, 3), (-1.0, 0.0, 2e-9), (0, 0, 10_000)),
        ((1, 2), (-1.0, 0.0), (0, 0)),
        ((1, 2, 3), (0.5, 0.25, 0.25), (5000, 2500, 2500)),
        ((4, 3, 2, 1), (0.1, 0.2, 0.3, 0.4), (1000, 2000, 3000, 4000)),
        ((), (), ()),
    ],
)
def test_shares_sum_to_10000_by_largest_remainder(
    keys: tuple[int, ...], values: tuple[float, ...], expected: tuple[int, ...]
) -> None:
    assert shares_bps(keys, values) == expected


def test_shares_of_many_values_always_sum_to_10000() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        values = rng.normal(size=int(rng.integers(1, 60)))
        shares = shares_bps(range(len(values)), values)
        assert sum(shares) == (10_000 if (values > 0).any() else 0)
        assert all(s == 0 for s, v in zip(shares, values, strict=True) if v <= 0)


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: np.round(rng.normal(size=(6, 500)), 1),  # many ties
        lambda rng: rng.integers(0, 3, size=(4, 500)).astype(float),  # three levels
        lambda _rng: np.zeros((2, 500)),  # all tied: 0.5
        lambda rng: rng.normal(size=(5, 500)),  # no ties
        lambda rng: np.vstack([np.zeros(500), rng.normal(size=500)]),  # mixed rows
    ],
)
def test_rank_auc_equals_sklearn_with_ties(
    make: Callable[[np.random.Generator], np.ndarray],
) -> None:
    rng = np.random.default_rng(0)
    y = rng.random(500) < 0.2
    scores = make(rng)
    expected = [roc_auc_score(y, row) for row in scores]
    assert rank_auc(scores, y) == pytest.approx(expected, abs=1e-14)


def _bad_updates(w0: Weights, good: RoundUpdate) -> dict[str, list[RoundUpdate]]:
    nan = {k: torch.full_like(v, float("nan")) for k, v in w0.items()}
    short = {k: v[..., :1] for k, v in w0.items()}
    return {
        "duplicate key": [good, good],
        "NaN weights": [RoundUpdate(1, nan, w0, 10)],
        "wrong shape": [RoundUpdate(1, short, w0, 10)],
        "negative size": [RoundUpdate(1, good.weights, w0, -5)],
        "missing tensor": [RoundUpdate(1, {"linear.bias": w0["linear.bias"]}, w0, 10)],
    }


@pytest.mark.parametrize(
    "case", ["duplicate key", "NaN weights", "wrong shape", "negative size", "missing tensor"]
)
def test_malformed_updates_are_refused_by_name(
    strategy: ShapleyFedAvg, w0: Weights, updates: list[RoundUpdate], case: str
) -> None:
    with pytest.raises(UpdateRejectedError, match="update 1"):
        strategy.evaluate_round(
            w0, _bad_updates(w0, RoundUpdate(1, *_retarget(updates[0], w0, w0)))[case]
        )


def test_empty_round_and_one_class_validation(
    spec: ModelSpec, w0: Weights, validation: EncodedData
) -> None:
    result = ShapleyFedAvg(spec, validation.X, validation.labels).evaluate_round(w0, [])
    assert result.keys == ()
    assert not result.improves
    assert all(torch.equal(result.weights[k], w0[k]) for k in w0)
    with pytest.raises(DataError, match="both outcomes"):
        ShapleyFedAvg(spec, validation.X, np.zeros(validation.n))
