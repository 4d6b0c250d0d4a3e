"""A small real simulation, the state split, and the simulate/evaluate CLI commands end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fedlend.cli import main
from fl.simulate import SimulationConfig, format_table, simulate
from fl.splits import by_state


def test_small_simulation_runs_the_product_policy_and_its_baselines(small_csv: Path) -> None:
    config = SimulationConfig(owners=3, rounds=2, epsilons=(None, 3.0), validation_size=1000)
    seen: list[float] = []
    report = simulate(small_csv, config, progress=lambda f, _m: seen.append(f))
    assert seen == sorted(seen)
    assert seen[-1] == pytest.approx(1.0)
    assert len(report.split.owners) == 3
    assert report.split.validation.n == 1000
    assert 0.66 < report.pooled_auc < 0.75
    off, dp = report.run(None), report.run(3.0)
    assert off.policy == "shapley"
    assert dp.policy == "shapley"
    assert abs(report.run(None, "fedavg").test_auc - report.pooled_auc) < 0.02
    assert abs(off.test_auc - report.pooled_auc) < 0.03
    assert dp.test_auc > 0.62
    assert len(dp.round_test_aucs) == 2
    assert len(dp.rounds) == 2
    assert dp.epsilon_spent == pytest.approx(3.0, abs=0.02)  # per-owner total over both rounds
    assert off.epsilon_spent is None
    assert dp.rounds[0].accepted
    assert dp.rounds[0].method == "exact"
    # money: the owners' rewards are the accepted rounds' payouts split by shares (floored)
    paid = sum(r.payout_wei for r in dp.rounds)
    assert 0 < sum(dp.rewards_wei) <= paid <= 10**18
    assert paid - sum(dp.rewards_wei) < len(dp.rewards_wei) * len(dp.rounds)
    assert len(dp.shapley) == 3
    assert sum(dp.shapley) > 0
    summary = json.loads(json.dumps(report.to_dict()))
    assert summary["federated"]["3"]["epsilon_spent"] == dp.epsilon_spent
    assert summary["fedavg_baseline"]["3"]["policy"] == "fedavg"
    assert set(summary["bars"]) >= {"no_dp_within_0.005_of_pooled", "eps3_within_0.005_of_pooled"}
    table = format_table(report)
    assert "Shapley FedAvg (product), DP eps 3" in table
    assert "plain FedAvg, DP eps 3" in table
    assert "per-owner Shapley value" in table


def test_many_tiny_owners_with_one_outcome_are_counted_not_fatal(small_csv: Path) -> None:
    config = SimulationConfig(
        owners=200,
        rounds=1,
        epsilons=(3.0,),
        validation_size=1000,
        fedavg_baseline=False,
        single_baselines=5,
    )
    report = simulate(small_csv, config)
    assert report.single_class_owners > 0  # ~20 loans each: some hold no default at all
    assert len(report.single_aucs) == 5  # a sample of the owners, said so in the table
    dp = report.run(3.0)
    assert dp.rounds[0].method == "monte-carlo"
    assert dp.rounds[0].updates == 200
    assert dp.rounds[0].max_std_error > 0
    assert dp.test_auc > 0.6
    assert "one-outcome owners skipped" in format_table(report)
    assert "5 fit (a seeded sample of" in format_table(report)


def test_state_split_keeps_each_state_with_one_owner() -> None:
    states = np.array(["CA"] * 50 + ["NY"] * 30 + ["TX"] * 20 + ["FL"] * 20 + ["WY"] * 2)
    groups = by_state(states, 3)
    assert sorted(np.concatenate(groups).tolist()) == list(range(len(states)))
    owners_of = {s: {i for i, g in enumerate(groups) if s in set(states[g])} for s in set(states)}
    assert all(len(owners) == 1 for owners in owners_of.values())
    assert sorted(len(g) for g in groups) == [32, 40, 50]


def test_simulate_and_evaluate_commands(
    small_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model_dir = tmp_path / "model"
    code = main(
        [
            "simulate",
            "--data",
            str(small_csv),
            "--owners",
            "2",
            "--rounds",
            "1",
            "--split",
            "state",
            "--epsilons",
            "off,2",
            "--validation-size",
            "800",
            "--json",
            "--save-model",
            str(model_dir),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0
    result = json.loads(out)["state"]
    assert result["owners"] == 2
    assert set(result["federated"]) == {"off", "2"}
    assert "round 1/1" in err  # progress goes to stderr
    assert main(["evaluate", "--model", str(model_dir), "--data", str(small_csv), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert {"roc_auc", "pr_auc", "accuracy", "brier", "log_loss", "n"} <= set(metrics)
    assert 0.6 < metrics["roc_auc"] < 0.8
    assert metrics["n"] > 5000
    assert metrics["score_bps"] == round(metrics["roc_auc"] * 10_000)
    assert main(["evaluate", "--model", str(model_dir), "--data", str(small_csv)]) == 0
    assert "roc_auc" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["simulate", "--epsilons", "off,zero"], "not a positive number"),
        (["simulate", "--epsilons", "-3"], "not a positive number"),
        (["simulate", "--owners", "0"], "at least 1"),
        (["simulate", "--scaling", "10,x"], "positive owner counts"),
        (["simulate", "--scaling", "0"], "positive owner counts"),
        (["evaluate", "--model", "/nonexistent/model", "--data", "x.csv"], "no model at"),
    ],
)
def test_cli_refusals_are_one_line_messages(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 1
    assert message in capsys.readouterr().err


def test_evaluate_refuses_a_csv_without_outcomes(
    small_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fl.data import load_loans
    from fl.features import build_spec
    from fl.models import init_weights
    from fl.weights import save_model

    spec = build_spec(load_loans(small_csv).head(500))
    save_model(tmp_path / "m", spec, init_weights(spec))
    bad = tmp_path / "no_target.csv"
    bad.write_text("id,loan_amnt\n1,100\n")
    assert main(["evaluate", "--model", str(tmp_path / "m"), "--data", str(bad)]) == 1
    assert "default" in capsys.readouterr().err


def test_scaling_table_prints_time_and_memory_per_size(
    small_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["simulate", "--data", str(small_csv), "--scaling", "3,40", "--rounds", "1"]
    code = main([*argv, "--epsilons", "3", "--validation-size", "800", "--single-baselines", "3"])
    out = capsys.readouterr().out
    assert code == 0
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [int(r[0]) for r in rows] == [3, 40]
    assert all(float(r[1]) > 0 and float(r[2]) > 100 for r in rows)  # seconds, peak MiB (torch)
    assert all(0.6 < float(r[3]) < 0.8 for r in rows)  # test AUC
