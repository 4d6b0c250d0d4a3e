"""Print the privacy ledger's cost per check + charge as its history grows (issue 13)."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fl.dp import Mechanism, calibrate_noise, rdp_epsilon  # noqa: E402
from fl.privacy import PrivacyLedger, Spend, compose  # noqa: E402

OWNER, DATASET = "0xOwner", "ab" * 32
HISTORIES = (10, 100, 1000)
REPEATS = 20


def main() -> int:
    """For each history length: median ms of one check + one charge, and of re-composing it."""
    sigma = calibrate_noise(3, 30, 3.0, 1e-5)
    run = Mechanism(sigma, 1 / 3, 30)
    one = rdp_epsilon([run], 1e-5)
    print(f"one check + one charge (each one transaction), median of {REPEATS}:")
    with tempfile.TemporaryDirectory() as tmp:
        ledger = PrivacyLedger(Path(tmp) / "l.sqlite", default_epsilon=1e9, default_delta=0.9)
        booked = 0
        for size in HISTORIES:
            while booked < size:
                ledger.charge(OWNER, DATASET, Spend(one, 1e-5, mechanism=run))
                booked += 1
            now = _median(lambda: _check_and_charge(ledger, run, one))
            booked += REPEATS
            history = ledger.history(OWNER, DATASET)
            old = _median(lambda h=history: (compose(h), compose([*h, h[-1]])))
            print(
                f"  history {size:>5,} charges: {now * 1e3:6.2f} ms "
                f"(re-composing the history as the ledger did before: {old * 1e3:7.2f} ms "
                "for the composition alone)"
            )
    return 0


def _check_and_charge(ledger: PrivacyLedger, run: Mechanism, one: float) -> None:
    ledger.check(OWNER, DATASET, epsilon=one, delta=1e-5, mechanism=run)
    ledger.charge(OWNER, DATASET, Spend(one, 1e-5, mechanism=run))


def _median(fn: object) -> float:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


if __name__ == "__main__":
    sys.exit(main())
