"""The gas benchmark script runs and every call stays within its target."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_gas.py"


def test_gas_targets_hold() -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--json", "--check"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    rows = json.loads(proc.stdout)
    by_case = {(r["call"], r["case"]): r for r in rows}
    assert by_case[("submitUpdate", "first")]["gas_used"] <= 80_000
    assert by_case[("submitUpdate", "tenth")]["gas_used"] <= 80_000
    assert by_case[("evaluateUpdate", "pays, owner's first credit")]["gas_used"] <= 80_000
    assert by_case[("withdraw", "owner (EOA)")]["gas_used"] <= 40_000
    rounds = {r["case"].split()[0]: r["gas_used"] for r in rows if r["call"] == "evaluateRound"}
    assert set(rounds) == {"1", "5", "10", "50"}
    for size, gas in rounds.items():
        assert gas <= 60_000 + 30_000 * int(size), (size, gas)
    assert by_case[("claimUnreviewed", "later claim")]["gas_used"] > 0
    assert all(r["ok"] for r in rows), rows
    assert proc.returncode == 0, proc.stderr
    assert {r["call"] for r in rows} == {
        "deploy",
        "createModel",
        "submitUpdate",
        "evaluateUpdate",
        "evaluateRound",
        "claimUnreviewed",
        "reclaim",
        "withdraw",
    }
