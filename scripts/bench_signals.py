"""Print the signals figures: classifiers with/without artifacts, silhouettes, timings."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fedlend.chain.anvil import AnvilProcess  # noqa: E402
from fedlend.chain.compile import load_artifact  # noqa: E402
from fedlend.chain.history import ScanConfig, scan  # noqa: E402
from signals import classifier, profile  # noqa: E402
from signals.assess import assess_features, context_for  # noqa: E402
from signals.dataset import load_addresses  # noqa: E402
from signals.features import FeatureVector, compute_features  # noqa: E402
from signals.model import load  # noqa: E402

BATCH = 500


def classifier_figures(quick: bool) -> list[dict[str, object]]:
    """Every classifier on the shared split, with and without the artifact features."""
    config = (
        classifier.TrainConfig(max_rows=2000, cv_folds=3) if quick else classifier.TrainConfig()
    )
    data = load_addresses()
    return [m.to_dict() for m in classifier.compare(data, config, lambda m: _log(f"fitting {m}"))]


def silhouette_figures(quick: bool) -> dict[str, list[dict[str, object]]]:
    """Silhouette per clustering method and K, for the served and the seed's features."""
    data = load_addresses()
    out = {}
    for name, features in (("profile", profile.PROFILE_FEATURES), ("seed", profile.SEED_FEATURES)):
        config = profile.ProfileConfig(features=features, sample=800 if quick else 2500)
        z = profile.embed_fit(profile.raw_features(data.features, config), config)[0]
        _log(f"clustering ({name} features)")
        out[name] = [r.__dict__ for r in profile.compare(z, config)]
    return out


def score_seconds(repeats: int = 200) -> float:
    """Median seconds to assess one address from its features (served model, shipped blacklist)."""
    data = load_addresses()
    ctx = context_for(load(), data)
    row = data.features.iloc[0].fillna(0.0)
    vector = FeatureVector(tuple(float(v) for v in row.to_numpy()))
    counterparties = ["0x" + f"{i:040x}" for i in range(50)]
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        assess_features(ctx, "0x" + "a" * 40, vector, counterparties)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def chain_scan_seconds(n_transactions: int) -> dict[str, float]:
    """Seconds to scan a fresh local Anvil whose one address has n transactions (10 % ERC-20)."""
    with AnvilProcess() as node:
        url = node.rpc_url
        accounts = _rpc(url, "eth_accounts", [])
        me, others = accounts[0], accounts[1:]
        token = _deploy_token(url, me)
        _rpc(url, "evm_setAutomine", [False])
        n_token = n_transactions // 10
        txs: list[dict[str, str]] = []
        for i in range(n_transactions - n_token):
            sender, receiver = (me, others[i % 9]) if i % 2 else (others[i % 9], me)
            txs.append({"from": sender, "to": receiver, "value": hex(10**15 + i), "gas": "0x5208"})
        for i in range(n_token):
            data = "0xa9059cbb" + others[i % 9][2:].rjust(64, "0") + f"{1000 + i:064x}"
            txs.append({"from": me, "to": token, "data": data, "gas": hex(60_000)})
        nonces = {
            a: int(_rpc(url, "eth_getTransactionCount", [a, "pending"]), 16) for a in accounts
        }
        for tx in txs:
            tx["nonce"] = hex(nonces[tx["from"]])
            nonces[tx["from"]] += 1
        _log(f"sending {len(txs):,} transactions to a fresh Anvil")
        for start in range(0, len(txs), BATCH):
            _batch(url, [("eth_sendTransaction", [tx]) for tx in txs[start : start + BATCH]])
            _rpc(url, "evm_mine", [])
        while int(_rpc(url, "txpool_status", [])["pending"], 16):
            _rpc(url, "evm_mine", [])
        from web3 import Web3

        w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 120}))
        _log(f"scanning {w3.eth.block_number + 1:,} blocks")
        started = time.perf_counter()
        history = scan(w3, me, ScanConfig(from_block=0, time_budget_s=3600))
        scanned = time.perf_counter() - started
        started = time.perf_counter()
        compute_features(history)
        features = time.perf_counter() - started
        return {
            "transactions": len(history.transactions),
            "token_transfers": len(history.transfers),
            "blocks": (history.block or 0) + 1,
            "scan_s": round(scanned, 2),
            "features_s": round(features, 4),
        }


def _deploy_token(url: str, sender: str) -> str:
    artifact = load_artifact("TestToken", include_tests=True)
    args = f"{10**30:064x}"
    tx = {"from": sender, "data": artifact.bytecode + args, "gas": hex(3_000_000)}
    tx_hash = _rpc(url, "eth_sendTransaction", [tx])
    return _rpc(url, "eth_getTransactionReceipt", [tx_hash])["contractAddress"]


def _rpc(url: str, method: str, params: list[Any]) -> Any:  # JSON-RPC results are plain JSON
    reply = requests.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=120
    ).json()
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error']}")
    return reply["result"]


def _batch(url: str, calls: list[tuple[str, list[Any]]]) -> None:
    body: list[dict[str, Any]] = [
        {"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)
    ]
    for reply in requests.post(url, json=body, timeout=300).json():
        if "error" in reply:
            raise RuntimeError(f"batch call failed: {reply['error']}")


def _log(message: str) -> None:
    print(f"  ... {message}", file=sys.stderr, flush=True)


def main() -> int:
    """Measure and print (or --json)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2,000 rows, 3-fold CV, small sample")
    parser.add_argument("--transactions", type=int, default=10_000, help="local-chain history size")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = {
        "classifiers": classifier_figures(args.quick),
        "silhouettes": silhouette_figures(args.quick),
        "score_one_address_s": score_seconds(),
        "chain": chain_scan_seconds(args.transactions),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    _print(result)
    return 0


def _print(result: dict) -> None:
    print("classifiers on a held-out stratified 25 % split (CV ROC-AUC on the other 75 %)")
    print(f"  {'model':<18} {'variant':<18} acc    prec   recall f1     roc_auc cv_auc")
    for m in result["classifiers"]:
        print(
            f"  {m['model']:<18} {m['variant']:<18} {m['accuracy']:.4f} {m['precision']:.4f} "
            f"{m['recall']:.4f} {m['f1']:.4f} {m['roc_auc']:.4f}  {m['cv_roc_auc']:.4f}"
        )
    for name, rows in result["silhouettes"].items():
        print(f"silhouette per method and K ({name} features)")
        for r in rows:
            bar = "#" * round(30 * max(r["silhouette"], 0))
            print(
                f"  {r['method']:<13} K={r['k']}  {r['silhouette']:.3f}  "
                f"smallest {r['smallest_share']:6.1%}  {bar}"
            )
    print(f"score one address from features: {result['score_one_address_s'] * 1000:.2f} ms")
    c = result["chain"]
    print(
        f"features from a local chain: {c['transactions']:,} transactions + "
        f"{c['token_transfers']:,} token transfers in {c['blocks']:,} blocks: "
        f"scan {c['scan_s']} s, features {c['features_s']} s"
    )


if __name__ == "__main__":
    sys.exit(main())
