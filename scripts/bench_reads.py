"""Reads over a long history: evaluate 50 pending updates, render the model and contributions pages.

    .venv/bin/python scripts/bench_reads.py [--stored 1000] [--pending 50] [--repeats 7]

Builds the history on a private Anvil (nothing else is touched): one real bounty (model 1)
and a copy (model 2), `--stored` updates from dev account 1 to model 2 (random digests: they
only make the history long), then `--pending` real sealed updates to model 1 (one DP training,
sealed with fresh nonces). Prints the lender's own time to evaluate them (chain confirmation
excluded: time spent sending evaluateRound and waiting for its receipt is subtracted), then the
median render time of the lender's `/models/1` and the owner's `/contributions/` pages (Flask
test client).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import Any

import _harness as harness
from eth_account.signers.local import LocalAccount

import lender_app
import owner_app
from fedlend.chain.client import ModelRepositoryClient
from fedlend.sealing import UpdateClaims, UpdateHeader, UpdateTarget, parse_public_key, seal_update
from fedlend.services import catalog
from fedlend.services.evaluation import evaluate_pending
from fedlend.services.lender import LenderService
from fedlend.services.node import open_node
from fedlend.settings import SHIPPED_LOANS, Settings
from fedlend.types import Digest
from fl.data import load_loans
from fl.features import encode
from fl.train import TrainConfig, train_update, update_to_bytes


def build(home: Path, rpc_url: str, stored: int, pending: int) -> Settings:
    """Models 1 and 2, `stored` filler updates to model 2 and `pending` real ones to model 1."""
    settings = harness.deploy_market(home, rpc_url)
    loans = load_loans(SHIPPED_LOANS)
    harness.post_first_bounty(
        settings, loans.iloc[:1600].to_csv(index=False).encode(), "reads"
    ).copy()
    node = open_node(settings.with_(dev_account=1))
    started = time.perf_counter()
    for i in range(stored):
        node.client.submit_update(2, Digest(os.urandom(32)))
        if (i + 1) % 250 == 0:
            harness.say(
                f"  {i + 1}/{stored} stored updates ({time.perf_counter() - started:.0f} s)"
            )
    bounty = catalog.load_bounty(node, node.client.get_model(1))
    spec = bounty.require_spec()
    base = node.weights_at(spec, bounty.record.weights)
    data = encode(spec, loans.iloc[1600:4600].reset_index(drop=True))
    result = train_update(spec, base, data, TrainConfig(3.0, seed=1))
    payload = update_to_bytes(spec, result)
    key = parse_public_key(spec.metadata.get(catalog.ENCRYPTION_KEY, ""))
    signer = node.account
    if not isinstance(signer, LocalAccount):
        raise SystemExit("the benchmark seals with a dev key")
    for _ in range(pending):
        header = UpdateHeader.create(
            UpdateTarget(
                1, bounty.record.weights, node.chain_id, node.client.address, node.address
            ),
            UpdateClaims(float(result.epsilon or 3.0), result.delta, result.n_examples),
        )
        blob = seal_update(payload=payload, header=header, owner=signer, lender_public_key=key)
        node.client.submit_update(1, node.put(blob))
    return settings


def own_evaluation_seconds(settings: Settings) -> tuple[float, int]:
    """Seconds the lender spends judging model 1's pending updates, minus sending/confirming."""
    lender = LenderService(open_node(settings))
    client = lender.node.client
    sending = [0.0]
    send = client._send

    def timed_send(call: Any, *, value: int = 0) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            return send(call, value=value)
        finally:
            sending[0] += time.perf_counter() - started

    client._send = timed_send  # type: ignore[method-assign]
    started = time.perf_counter()
    client.index.refresh()  # what a running lender app has done already
    cold = time.perf_counter() - started
    harness.say(
        f"  cold event index ({stored_count(client)} updates): {cold:.2f} s (once per process)"
    )
    started = time.perf_counter()
    done = evaluate_pending(lender, 1)
    return time.perf_counter() - started - sending[0], len(done)


def stored_count(client: ModelRepositoryClient) -> int:
    """How many updates the index holds."""
    return len(client.index.statuses())


def page_ms(app: Any, path: str, repeats: int) -> float:
    """Median milliseconds to render `path` (after one warm-up request)."""
    client = app.test_client()
    times = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
    times = times[1:]  # the first request warms the caches
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, default=1000)
    parser.add_argument("--pending", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    stored = min(max(0, args.stored), 5000)
    pending = min(max(1, args.pending), 100)
    with harness.private_chain("fedlend-reads-") as (home, rpc_url):
        harness.say(f"Anvil on {rpc_url}; {stored} stored updates, {pending} pending")
        settings = build(home, rpc_url, stored, pending)
        seconds, n = own_evaluation_seconds(settings)
        harness.say(f"evaluate-{n}: {seconds:.2f} s of the lender's own time (target < 2 s)")
        lender = lender_app.create_app(harness.lender_config(settings, home))
        owner = owner_app.create_app(harness.owner_config(settings, home))
        model = page_ms(lender, "/models/1", args.repeats)
        harness.say(f"lender /models/1: {model:.0f} ms median (target < 300 ms)")
        contributions = page_ms(owner, "/contributions/", args.repeats)
        harness.say(f"owner /contributions/: {contributions:.0f} ms median (target < 300 ms)")


if __name__ == "__main__":
    main()
