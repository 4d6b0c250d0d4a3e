"""Print what a retry of a verified posting or round saves, and what the proof ticker shows.

One circuit (default 64 x 4, the tests'; keys cached under build/zk-cache): a fresh proof with
the ticker (its seconds, how many progress ticks it reported, the estimate shown before it ran)
against reading the same proof back from the lender's kept proofs (fedlend/services/proof_cache:
parse + off-chain verify), which is what a retry after a rejected wallet signature costs.

    .venv/bin/python scripts/bench_proof_reuse.py
    .venv/bin/python scripts/bench_proof_reuse.py --rows 512 --features 16
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_zk import real_inputs  # noqa: E402

from fedlend.services import proof_cache  # noqa: E402
from zk import prove_time  # noqa: E402
from zk.keys import circuit_keys  # noqa: E402
from zk.prover import prove  # noqa: E402
from zk.srs import SrsConfig  # noqa: E402


def main() -> None:
    """Prove once with the ticker, then reuse the kept proof; print both."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=64)
    parser.add_argument("--features", type=int, default=4)
    args = parser.parse_args()
    inputs = real_inputs(args.rows, args.features)
    data, weights = inputs.data, inputs.weights
    keys = circuit_keys(data.shape, SrsConfig(chain_id=31337), ROOT / "build" / "zk-cache")
    estimate = prove_time.estimate(keys)
    ticks: list[str] = []
    started = time.monotonic()
    proof = prove(data, weights, keys, lambda _f, m: ticks.append(m) if "elapsed" in m else None)
    proved = time.monotonic() - started
    with tempfile.TemporaryDirectory() as state:
        path = proof_cache.proof_path(Path(state), keys, data, weights)
        proof_cache.save(path, proof)
        started = time.monotonic()
        again = proof_cache.load(path, keys)
        reused = time.monotonic() - started
    if again != proof:
        raise SystemExit("the kept proof did not come back: check fedlend/services/proof_cache")
    shown = "none (no proof time kept yet)" if estimate is None else f"{estimate:.1f} s"
    print(f"circuit: {args.rows} x {args.features}, 2^{keys.logrows} rows")
    print(f"estimate shown before proving: {shown}")
    print(f"fresh proof: {proved:.2f} s, {len(ticks)} progress ticks (last: {ticks[-1:]})")
    print(f"retry with the kept proof (read + verify): {reused:.2f} s")
    print(f"a retry saves {proved - reused:.2f} s of proving")


if __name__ == "__main__":
    main()
