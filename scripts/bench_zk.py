"""Print what proving a round's ROC-AUC costs: setup, prove and verify seconds, peak RSS, proof
bytes and the gas of a real evaluateVerifiedRound on a fresh Anvil, for one circuit size.

The validation set is the shipped loans' 2,375-loan validation split (fl.splits), encoded by the
spec (144 columns), cut to --rows x --features; the weights are a logistic regression fitted on
an owner's loans. The SRS is the insecure local kind (chain 31337). Keys are cached under
build/zk-cache, so a second run skips setup unless --fresh. Peak RSS is this process's high-water
mark after each phase (or of the proof's child process). "seconds" is wall time on a shared machine.

    .venv/bin/python scripts/bench_zk.py                          # 64 x 4 (the tests' circuit)
    .venv/bin/python scripts/bench_zk.py --rows 1024 --features 16
    .venv/bin/python scripts/bench_zk.py --rows 2375 --features 144   # the demo's full LR: ~12 GB
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fedlend.chain.terms import ModelTerms, ProofClaim  # noqa: E402
from fedlend.settings import SHIPPED_LOANS  # noqa: E402
from zk.fixed import FixedPoint, ValidationSet, encode_set, encode_weights  # noqa: E402
from zk.keys import CircuitKeys, circuit_keys  # noqa: E402
from zk.prover import Proof, commitment_digest, commitment_points, prove, verify  # noqa: E402
from zk.srs import SrsConfig  # noqa: E402


def peak_gb() -> float:
    """The peak resident memory so far of this process or its largest child (the proof runs
    in a child: zk/prover.py), in GB (Linux reports KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, child) / 1024**2


def real_inputs(rows: int, features: int) -> tuple[ValidationSet, np.ndarray]:
    """The validation split cut to rows x features, and fitted LR weights, as integers."""
    from sklearn.linear_model import LogisticRegression

    from fl.data import load_loans
    from fl.splits import SplitConfig, split_loans

    split = split_loans(load_loans(SHIPPED_LOANS), SplitConfig(owners=2, split="random"))
    fixed = FixedPoint()
    x, y = split.validation.X[:rows, :features], split.validation.y
    train = split.owners[0]
    if y is None or train.y is None:
        raise SystemExit("the split has no labels: check the shipped loans")
    fit = LogisticRegression(max_iter=500).fit(train.X[:, :features], train.y)
    weights = encode_weights(fit.coef_.ravel(), float(fit.intercept_[0]), fixed)
    return encode_set(x, y[:rows].astype(int), fixed), weights


DATA_POINTS = 2  # X and y, one KZG column each at these sizes (checked in measure)


def chain_gas(keys: CircuitKeys, proof: Proof) -> dict[str, int]:
    """Gas of a verified model's creation (its initial score proven by `proof`) and of a round of
    one update judged with the same proof (a proven rejection), beside the same unverified."""
    from fedlend.chain.accounts import dev_accounts
    from fedlend.chain.anvil import AnvilProcess
    from fedlend.chain.client import ModelRepositoryClient
    from fedlend.chain.rpc import connect
    from fedlend.chain.zk_verifier import deploy_round_verifier
    from fedlend.types import Digest
    from zk.outputs import weights_digest

    node = AnvilProcess().start()
    try:
        w3 = connect(node.rpc_url)
        lender, owner = dev_accounts(2)
        repo = ModelRepositoryClient.deploy(w3, lender)
        deployed = deploy_round_verifier(w3, lender, keys, data_points=DATA_POINTS)
        score, new_weights = proof.score(keys), Digest(weights_digest(proof.outputs(keys).weights))
        terms: dict[str, Any] = {
            "weights": new_weights,
            "spec": Digest(b"\2" * 32),
            "bounty_wei": 10**18,
            "initial_score": score,
            "target_score": 10_000,
            "deadline": repo.chain_time() + 86_400,
        }
        created = repo.create_verified_model(
            ModelTerms(**terms),
            deployed.round_verifier,
            ProofClaim(proof.data, tuple(proof.instances)),
        )
        made = repo.create_model(ModelTerms(**terms))
        gas = {
            "deploy verifiers": deployed.deploy_gas,
            "createVerifiedModel (initial proven)": created.gas_used,
            "createModel (unverified)": made.gas_used,
        }
        for model_id in (created.value, made.value):
            digest = Digest(hashlib.sha256(bytes([model_id])).digest())
            update = repo.with_account(owner).submit_update(model_id, digest).value
            if model_id == created.value:
                sent = repo.evaluate_verified_round(
                    model_id,
                    [update],
                    [0],
                    score=score,
                    new_weights=new_weights,
                    claim=ProofClaim(proof.data, tuple(proof.instances)),
                )
                gas["evaluateVerifiedRound (1 update, rejected)"] = sent.gas_used
            else:
                sent = repo.evaluate_round(
                    model_id, [update], [0], score=score, new_weights=new_weights
                )
                gas["evaluateRound (1 update, rejected, unverified)"] = sent.gas_used
        return gas
    finally:
        node.stop()


def measure(rows: int, features: int, cache: Path) -> dict[str, Any]:
    """Every figure for one circuit size."""
    data, weights = real_inputs(rows, features)
    started = time.perf_counter()
    keys = circuit_keys(data.shape, SrsConfig(chain_id=31337), cache, _progress)
    figures: dict[str, Any] = {"rows": rows, "features": features, "logrows": keys.logrows}
    figures["setup s"] = time.perf_counter() - started
    figures["peak GB after setup"] = peak_gb()
    started = time.perf_counter()
    proof = prove(data, weights, keys, _progress)
    figures["prove s"] = time.perf_counter() - started
    figures["peak GB after prove"] = peak_gb()
    started = time.perf_counter()
    if not verify(proof, keys):
        raise SystemExit("the proof did not verify: this is a bug")
    figures["verify s"] = time.perf_counter() - started
    figures["proof bytes"] = len(proof.data)
    figures["score bps"] = proof.score(keys)
    points = commitment_points(data, weights, keys)
    if len(points) != 64 * DATA_POINTS or not proof.data.startswith(points):
        raise SystemExit("the data commitment is not where RoundVerifier reads it: a bug")
    figures["commitment"] = commitment_digest(points).hex()[:16] + "..."
    figures.update(chain_gas(keys, proof))
    figures["srs"] = keys.srs.label
    return figures


def _progress(fraction: float, message: str) -> None:
    print(f"  [{fraction:4.0%}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=64)
    parser.add_argument("--features", type=int, default=4)
    parser.add_argument("--fresh", action="store_true", help="set up in a new cache (time setup)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) if args.fresh else ROOT / "build" / "zk-cache"
        figures = measure(args.rows, args.features, cache)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    for name, value in figures.items():
        shown = (
            f"{value:,.2f}"
            if isinstance(value, float)
            else (f"{value:,}" if isinstance(value, int) else value)
        )
        print(f"{name:48} {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
