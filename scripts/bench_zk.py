"""Print what proving a round's ROC-AUC costs: setup, prove and verify seconds, peak RSS, proof
bytes, the verifier's deployment gas and the gas of a real createVerifiedModel and
evaluateVerifiedRound on a fresh Anvil, for one circuit size; and the AUC the fixed-point
circuit proves beside the float AUC of the same weights.

The validation set is the shipped loans' 2,375-loan validation split (fl.splits), encoded by the
spec (144 columns), cut to --rows x --features; the weights are a logistic regression fitted on
an owner's loans. `--demo` instead takes exactly the demo lender's spec, base model and private
validation set (`fedlend demo`: 2,375 loans x 144 features). The SRS is the insecure local kind
(chain 31337). Keys are cached under build/zk-cache, so a second run skips setup unless --fresh.
Peak RSS is the high-water mark of this process or of the proof's child process after each phase;
"seconds" is wall time on a shared machine, so the load average is printed at the start and the end.

    .venv/bin/python scripts/bench_zk.py                          # 64 x 4 (the tests' circuit)
    .venv/bin/python scripts/bench_zk.py --rows 1024 --features 32
    .venv/bin/python scripts/bench_zk.py --rows 2375 --features 144 --fresh   # the full LR
    .venv/bin/python scripts/bench_zk.py --demo --fresh          # the demo's own set and model
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fedlend.chain.terms import ModelTerms, ProofClaim  # noqa: E402
from fedlend.settings import SHIPPED_LOANS  # noqa: E402
from zk.fixed import FixedPoint, ValidationSet, encode_set, encode_weights, scores  # noqa: E402
from zk.keys import CircuitKeys, circuit_keys, circuit_logrows  # noqa: E402
from zk.outputs import PublicOutputs, rank_sums, score_bps  # noqa: E402
from zk.prover import Proof, commitment_digest, commitment_points, prove, verify  # noqa: E402
from zk.srs import SrsConfig, resolve_srs  # noqa: E402


@dataclass(frozen=True)
class BenchInputs:
    """The circuit's integer set and weights, and the float AUC of the unrounded weights."""

    data: ValidationSet
    weights: np.ndarray
    float_auc: float
    source: str


def peak_gb() -> float:
    """The peak resident memory so far of this process or its largest child (the proof runs
    in a child: zk/prover.py), in GB (Linux reports KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, child) / 1024**2


def cpu_s() -> float:
    """CPU seconds this process and its finished children (the proof runs in one: zk/prover.py)
    used so far, all threads (wall time on an idle machine is about this over the cores EZKL
    keeps busy; on a loaded one, wall time is longer)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + child.ru_utime + child.ru_stime


def load() -> str:
    """The 1, 5 and 15 minute load averages (2 cores here: above 2, others were working)."""
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def _encoded(
    x: np.ndarray, y: np.ndarray, coef: np.ndarray, bias: float, spec: Any
) -> tuple[Any, ...]:
    """The integer set (the spec's one-hot blocks inside the first columns kept) and weights."""
    from fedlend.services.verified import one_hot_groups

    fixed = FixedPoint()
    float_auc = float(roc_auc_score(y, x @ coef + bias))
    groups = tuple(g for g in one_hot_groups(spec) if g[0] + g[1] <= x.shape[1])
    data = encode_set(x, y.astype(int), fixed, groups=groups)
    return data, encode_weights(coef, bias, fixed), float_auc


def real_inputs(rows: int, features: int) -> BenchInputs:
    """The validation split cut to rows x features, and fitted LR weights, as integers."""
    from sklearn.linear_model import LogisticRegression

    from fl.data import load_loans
    from fl.splits import SplitConfig, split_loans

    split = split_loans(load_loans(SHIPPED_LOANS), SplitConfig(owners=2, split="random"))
    x, y = split.validation.X[:rows, :features], split.validation.y
    train = split.owners[0]
    if y is None or train.y is None:
        raise SystemExit("the split has no labels: check the shipped loans")
    fit = LogisticRegression(max_iter=500).fit(train.X[:, :features], train.y)
    coef, bias = fit.coef_.ravel(), float(fit.intercept_[0])
    data, weights, auc = _encoded(x, y[:rows], coef, bias, split.spec)
    return BenchInputs(data, weights, auc, f"validation split, {rows} x {features}")


def demo_inputs() -> BenchInputs:
    """The demo lender's validation set and base model, built as LenderService.post_bounty does."""
    from fedlend.demo.run import DemoConfig, split_parties
    from fedlend.services.bounty_terms import BountyTerms
    from fedlend.services.lender import split_own_data
    from fl.data import load_loans
    from fl.features import SpecOptions, build_spec, encode
    from fl.models import init_weights
    from fl.train import TrainConfig, train_update

    csv, _, _ = split_parties(load_loans(SHIPPED_LOANS), DemoConfig())
    terms = BountyTerms(title="bench", target_score=10_000, bounty_wei=1, deadline=0)
    frame, sha = load_loans(csv), hashlib.sha256(csv).hexdigest()
    options = SpecOptions(model=terms.model_kind, metric=terms.metric, training=terms.training)
    spec = build_spec(frame, options)
    train, validation = split_own_data(frame, sha, f"own-data:{terms.base_fraction:g}")
    if train is None:
        raise SystemExit("the demo's lender keeps no base-training part: check BountyTerms")
    weights = train_update(spec, init_weights(spec), train, TrainConfig(None, seed=0)).weights
    encoded = encode(spec, validation)
    if encoded.y is None:
        raise SystemExit("the demo's validation set has no labels: check the shipped loans")
    coef = weights["linear.weight"].detach().numpy().astype(np.float64).ravel()
    bias = float(weights["linear.bias"].detach().numpy().ravel()[0])
    data, ints, auc = _encoded(encoded.X.astype(np.float64), encoded.y, coef, bias, spec)
    return BenchInputs(data, ints, auc, f"the demo lender's set and base model, {encoded.X.shape}")


def chain_gas(keys: CircuitKeys, proof: Proof, data_points: int) -> dict[str, int]:
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
        deployed = deploy_round_verifier(w3, lender, keys, data_points=data_points)
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
            "verifyProof alone (Halo2Verifier, a tx's gas)": _verify_gas(w3, deployed.halo2, proof),
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


def _verify_gas(w3: Any, halo2: str, proof: Proof) -> int:
    """Gas of a transaction that only verifies `proof` with EZKL's verifier (what the notes call
    verification gas): base cost, calldata and the pairing check."""
    abi = [
        {
            "name": "verifyProof",
            "type": "function",
            "stateMutability": "view",
            "inputs": [
                {"name": "proof", "type": "bytes"},
                {"name": "instances", "type": "uint256[]"},
            ],
            "outputs": [{"name": "", "type": "bool"}],
        }
    ]
    verifier = w3.eth.contract(address=halo2, abi=abi)
    return int(verifier.functions.verifyProof(proof.data, list(proof.instances)).estimate_gas())


def quantization(inputs: BenchInputs) -> dict[str, Any]:
    """The AUC the circuit would prove, computed exactly without a proof (the zk tests check the
    circuit outputs these very rank sums), beside the float AUC of the unrounded weights."""
    data = inputs.data
    z = scores(data, inputs.weights)
    r_up, r_lo, positives = rank_sums(z, data.y)
    outputs = PublicOutputs(tuple(int(w) for w in inputs.weights), r_up + r_lo, positives)
    proven = score_bps(outputs, data.shape.rows)
    return {
        "inputs": inputs.source,
        "float AUC of the same weights, bps": inputs.float_auc * 10_000,
        "fixed-point AUC the circuit proves, bps": proven,
        "gap: float - proven, bps": inputs.float_auc * 10_000 - proven,
        "scores' span (comparison range 268,435,456)": int(z.max() - z.min()),
    }


def measure(inputs: BenchInputs, cache: Path) -> dict[str, Any]:
    """Every figure for one circuit size."""
    data, weights = inputs.data, inputs.weights
    figures: dict[str, Any] = {"inputs": inputs.source, "load at start": load()}
    started = time.perf_counter()
    resolve_srs(SrsConfig(chain_id=31337), circuit_logrows(data.shape), cache / "srs")
    figures["SRS s (made once per k, shared)"] = time.perf_counter() - started
    started, cpu = time.perf_counter(), cpu_s()
    keys = circuit_keys(data.shape, SrsConfig(chain_id=31337), cache, _progress)
    figures.update({"rows": data.shape.rows, "features": data.shape.features, "k": keys.logrows})
    figures["setup s"] = time.perf_counter() - started
    figures["setup CPU s"] = cpu_s() - cpu
    figures["peak GB after setup"] = peak_gb()
    started, cpu = time.perf_counter(), cpu_s()
    proof = prove(data, weights, keys, _progress)
    figures["prove s"] = time.perf_counter() - started
    figures["prove CPU s"] = cpu_s() - cpu
    figures["peak GB after prove"] = peak_gb()
    started = time.perf_counter()
    if not verify(proof, keys):
        raise SystemExit("the proof did not verify: this is a bug")
    figures["verify s (off-chain)"] = time.perf_counter() - started
    figures["proof bytes"] = len(proof.data)
    quantized = quantization(inputs)
    if quantized["fixed-point AUC the circuit proves, bps"] != proof.score(keys):
        raise SystemExit("the proof's score is not the exact fixed-point AUC: this is a bug")
    figures.update({name: value for name, value in quantized.items() if name != "inputs"})
    points = commitment_points(data, weights, keys)
    if not points or not proof.data.startswith(points):
        raise SystemExit("the data commitment is not where RoundVerifier reads it: a bug")
    figures["commitment points"] = len(points) // 64
    figures["commitment"] = commitment_digest(points).hex()[:16] + "..."
    figures.update(chain_gas(keys, proof, len(points) // 64))
    figures["srs"] = keys.srs.label
    figures["load at end"] = load()
    return figures


def _progress(fraction: float, message: str) -> None:
    print(f"  [{fraction:4.0%}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=64)
    parser.add_argument("--features", type=int, default=4)
    parser.add_argument("--demo", action="store_true", help="the demo lender's set and model")
    parser.add_argument("--fresh", action="store_true", help="set up in a new cache (time setup)")
    parser.add_argument("--no-proof", action="store_true", help="only the quantization figures")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    inputs = demo_inputs() if args.demo else real_inputs(args.rows, args.features)
    shared = ROOT / "build" / "zk-cache"
    with tempfile.TemporaryDirectory() as tmp:
        if args.no_proof:
            return _show(quantization(inputs), as_json=args.json)
        cache = Path(tmp) if args.fresh else shared
        if args.fresh:  # new keys, but the SRS of each k is made once and kept
            (shared / "srs").mkdir(parents=True, exist_ok=True)
            (cache / "srs").symlink_to(shared / "srs")
        figures = measure(inputs, cache)
    return _show(figures, as_json=args.json)


def _show(figures: dict[str, Any], *, as_json: bool) -> int:
    if as_json:
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
