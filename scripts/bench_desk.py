"""Print the borrower desk's figures: batch scoring with reasons, one explained application."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fedlend.settings import SHIPPED_LOANS  # noqa: E402

if TYPE_CHECKING:
    import pandas as pd

    from desk.scoring import ScoringModel

TARGETS_S = {"batch_10000_logreg": 2.0, "one_logreg": 0.1, "one_mlp": 2.0}


def _scorer(kind: str, loans: pd.DataFrame, validation: pd.DataFrame) -> ScoringModel:
    from desk.scoring import ScoringModel
    from fl.features import SpecOptions, build_spec, encode
    from fl.models import init_weights
    from fl.train import TrainConfig, train_update

    spec = build_spec(validation, SpecOptions(model=kind))
    train = loans.drop(validation.index).sample(4000, random_state=1)
    weights = train_update(spec, init_weights(spec), train, TrainConfig(None, seed=0)).weights
    return ScoringModel(
        spec, weights, background=encode(spec, validation).X, name=kind, weights_digest="bench"
    )


def _median(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(repeats: int) -> dict[str, float]:
    """Median seconds: 10,000 applications with 3+3 reasons each; one application, explained."""
    from fl.data import load_loans

    loans = load_loans(SHIPPED_LOANS)
    validation = loans.sample(2000, random_state=0)
    batch = loans.sample(10_000, random_state=2).drop(columns=["default"])
    one = batch.iloc[[0]]
    print("training the two models (not timed) ...", file=sys.stderr, flush=True)
    logreg, mlp = _scorer("logreg", loans, validation), _scorer("mlp", loans, validation)
    print("timing ...", file=sys.stderr, flush=True)
    figures = {
        "batch_10000_logreg": _median(lambda: logreg.score_frame(batch), repeats),
        "one_logreg": _median(lambda: logreg.score_frame(one), repeats * 3),
        "one_mlp": _median(lambda: mlp.score_frame(one), repeats * 3),
        "batch_10000_mlp": _median(lambda: mlp.score_frame(batch), 1),
    }
    return figures


def main() -> int:
    """Print the figures (and whether each meets its target)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    figures = measure(args.repeats)
    figures["load_average_1min"] = round(max(load_before, os.getloadavg()[0]), 2)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    load = figures.pop("load_average_1min")
    print(f"machine load (1-min average, {os.cpu_count()} cores): {load:g}")
    for name, seconds in figures.items():
        target = TARGETS_S.get(name)
        verdict = (
            ""
            if target is None
            else f" (target < {target:g} s: {'ok' if seconds < target else 'MISSED'})"
        )
        print(f"{name:<20} {seconds * 1000:9.1f} ms{verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
