"""Load the owner and lender apps: N clients for S seconds on 127.0.0.1, per-page p50/p95.

    .venv/bin/python scripts/load_apps.py [--clients 20] [--seconds 60] [--bounties 100]
                                          [--submissions 400] [--verified 0]

Starts its own Anvil and both apps on free 127.0.0.1 ports (nothing else is touched), posts one
real bounty plus copies of it up to --bounties, submits --submissions updates from one owner, then
has the clients fetch the apps' pages round-robin. --verified N also posts N verified models (one
real EZKL proof of the tests' 64 x 4 circuit, scripts/_verified.py; the first with a proven
round), so the listings show them and the lender's page of the first is fetched too. Each app
runs in its own process, as `fedlend owner-app` / `lender-app` run them (werkzeug's threaded
server, a thread per request, its request log discarded); --in-process serves both from threads
of this process instead. Bounded: at most 50 clients, 300 s, 1,000 bounties, 5,000 submissions
and 200 verified models. Prints requests/s and p50/p95 per page, and any non-200 answers.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def build_market(
    home: Path, rpc_url: str, bounties: int, submissions: int, verified: int = 0
) -> tuple[Settings, list[int]]:
    """A contract with `bounties` open models, `submissions` updates from dev account 1 and
    `verified` verified models after them (their ids)."""
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
    if not verified:
        return settings, []
    from _verified import post_verified

    say(f"  proving once, then posting {verified} verified models")
    return settings, post_verified(settings, posted.first.spec_digest, verified, posted.deadline)


def app_factory(role: str) -> tuple[Callable[[dict[str, Any]], Any], Callable[..., dict[str, Any]]]:
    """The app factory and config builder of one role."""
    if role == "owner":
        return owner_app.create_app, owner_config
    return lender_app.create_app, lender_config


def serve_role(role: str, settings: Settings, home: Path) -> tuple[int, object]:
    """Run an app in a daemon thread of this process; (port, server)."""
    factory, config = app_factory(role)
    server = serve(factory, config(settings, home))
    return server.server_port, server


def spawn(role: str, settings: Settings, home: Path) -> tuple[int, object]:
    """Run an app in its own process, as `fedlend owner-app` / `lender-app` do: werkzeug's
    threaded server (a thread per request) on 127.0.0.1; (port, process)."""
    args = [sys.executable, __file__, "--serve", role, "--home", str(home)]
    args += ["--rpc-url", settings.rpc_url, "--contract", str(settings.contract_address)]
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = child.stdout.readline() if child.stdout else ""  # "port N" once it listens
    if not line.startswith("port "):
        child.kill()
        raise SystemExit(f"the {role} app did not start: {line!r}")
    return int(line.split()[1]), child


def serve_child(role: str, home: Path, rpc_url: str, contract: str) -> None:
    """The child's side of spawn(): serve one app until killed."""
    settings = Settings(home=home, rpc_url=rpc_url, contract_address=contract, dev_account=0)
    port, _server = serve_role(role, settings, home)
    print(f"port {port}", flush=True)
    threading.Event().wait()


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
    parser.add_argument("--verified", type=int, default=0, help="verified models to add")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="serve both apps from threads of this process (sharing one GIL with the clients)",
    )
    parser.add_argument("--serve", choices=["owner", "lender"], help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rpc-url", help=argparse.SUPPRESS)
    parser.add_argument("--contract", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_child(args.serve, args.home, args.rpc_url, args.contract)
        return
    clients = min(max(1, args.clients), 50)
    seconds = min(max(1.0, args.seconds), 300.0)
    bounties = min(max(1, args.bounties), 1000)
    submissions = min(max(0, args.submissions), 5000)
    verified = min(max(0, args.verified), 200)
    with private_chain("fedlend-load-") as (home, rpc_url):
        say(f"Anvil on {rpc_url}; building {bounties} bounties, {submissions} updates")
        say(f"  and {verified} verified models")
        settings, verified_ids = build_market(home, rpc_url, bounties, submissions, verified)
        start = serve_role if args.in_process else spawn
        say("apps: " + ("threads of this process" if args.in_process else "one process each"))
        owner_port, owner = start("owner", settings, home)
        lender_port, lender = start("lender", settings, home)
        targets = [("owner", owner_port, p) for p in OWNER_PAGES]
        targets += [("lender", lender_port, p) for p in LENDER_PAGES]
        targets += [("lender", lender_port, f"/models/{m}") for m in verified_ids[:1]]
        try:
            run_load(targets, clients, seconds)
        finally:
            for app in (owner, lender):
                if isinstance(app, subprocess.Popen):
                    app.kill()
                    app.wait()
                else:
                    app.shutdown()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
