"""Load the owner and lender apps: N clients for S seconds on 127.0.0.1, per-page p50/p95.

    .venv/bin/python scripts/load_apps.py [--clients 20] [--seconds 60] [--bounties 100]
                                          [--submissions 400]

Starts its own Anvil and both apps on free 127.0.0.1 ports (nothing else is touched), posts one
real bounty plus copies of it up to --bounties, submits --submissions updates from one owner, then
has the clients fetch the apps' pages round-robin. Bounded: at most 50 clients, 300 s, 1,000
bounties and 5,000 submissions. Prints requests/s and p50/p95 per page, and any non-200 answers.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import threading
import time
from collections import defaultdict
from pathlib import Path

from _harness import (
    LOOPBACK,
    deploy_market,
    lender_config,
    owner_config,
    post_first_bounty,
    private_chain,
    say,
    serve,
)

import lender_app
import owner_app
from fedlend.services.node import open_node
from fedlend.settings import SHIPPED_LOANS, Settings
from fedlend.types import Digest
from fl.data import load_loans

OWNER_PAGES = ["/", "/bounties/", "/contributions/", "/data/", "/contribute/"]
LENDER_PAGES = ["/", "/account/", "/models/1"]


def build_market(home: Path, rpc_url: str, bounties: int, submissions: int) -> Settings:
    """A contract with `bounties` open models and `submissions` updates from dev account 1."""
    settings = deploy_market(home, rpc_url)
    csv = load_loans(SHIPPED_LOANS).iloc[:1600].to_csv(index=False).encode()
    posted = post_first_bounty(settings, csv, "load test")
    for i in range(bounties - 1):
        posted.copy()
        if (i + 2) % 25 == 0:
            say(f"  {i + 2}/{bounties} bounties posted")
    owner = open_node(settings.with_(dev_account=1)).client
    for i in range(submissions):
        owner.submit_update(1 + i % bounties, Digest(os.urandom(32)))
        if (i + 1) % 100 == 0:
            say(f"  {i + 1}/{submissions} submissions sent")
    return settings


def client_loop(
    targets: list[tuple[str, int, str]],
    offset: int,
    until: float,
    timings: dict[str, list[float]],
    statuses: dict[str, dict[int, int]],
    lock: threading.Lock,
) -> None:
    """Fetch the pages round-robin (starting at `offset`) until the deadline."""
    i = offset
    while time.monotonic() < until:
        name, port, path = targets[i % len(targets)]
        i += 1
        started = time.perf_counter()
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            status = response.status
        except OSError:
            status = 0
        finally:
            conn.close()
        elapsed = time.perf_counter() - started
        with lock:
            timings[f"{name} {path}"].append(elapsed)
            statuses[f"{name} {path}"][status] = statuses[f"{name} {path}"].get(status, 0) + 1


def run_load(targets: list[tuple[str, int, str]], clients: int, seconds: float) -> None:
    """Run the clients and print the figures."""
    timings: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, dict[int, int]] = defaultdict(dict)
    lock = threading.Lock()
    for _, port, path in targets:  # warm each page once (connections, caches)
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=60)
        conn.request("GET", path)
        conn.getresponse().read()
        conn.close()
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client_loop, args=(targets, n, until, timings, statuses, lock))
        for n in range(clients)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - started
    total = sum(len(v) for v in timings.values())
    say(f"\n{clients} clients, {took:.0f} s: {total:,} requests, {total / took:.1f} requests/s")
    say(f"{'page':<28}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}  statuses")
    for key in sorted(timings):
        values = sorted(timings[key])
        p50 = statistics.median(values) * 1000
        p95 = values[min(len(values) - 1, int(0.95 * len(values)))] * 1000
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(statuses[key].items()))
        say(f"{key:<28}{len(values):>9}{p50:>9.0f}{p95:>9.0f}  {codes}")
    worst = max(sorted(v)[min(len(v) - 1, int(0.95 * len(v)))] for v in timings.values() if v)
    say(f"worst page p95: {worst * 1000:.0f} ms (target < 500 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--bounties", type=int, default=100)
    parser.add_argument("--submissions", type=int, default=400)
    args = parser.parse_args()
    clients = min(max(1, args.clients), 50)
    seconds = min(max(1.0, args.seconds), 300.0)
    bounties = min(max(1, args.bounties), 1000)
    submissions = min(max(0, args.submissions), 5000)
    with private_chain("fedlend-load-") as (home, rpc_url):
        say(f"Anvil on {rpc_url}; building {bounties} bounties, {submissions} updates")
        settings = build_market(home, rpc_url, bounties, submissions)
        owner = serve(owner_app.create_app, owner_config(settings, home))
        lender = serve(lender_app.create_app, lender_config(settings, home))
        targets = [("owner", owner.server_port, p) for p in OWNER_PAGES]
        targets += [("lender", lender.server_port, p) for p in LENDER_PAGES]
        run_load(targets, clients, seconds)
        owner.shutdown()
        lender.shutdown()


if __name__ == "__main__":
    main()
