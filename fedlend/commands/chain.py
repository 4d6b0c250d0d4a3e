"""`fedlend chain`: run a local Anvil in the foreground, its state kept under FEDLEND_HOME."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path
from types import FrameType


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `chain` subcommand."""
    parser = sub.add_parser(
        "chain", help="run a local Anvil chain on 127.0.0.1 (state survives restarts); Ctrl-C stops"
    )
    parser.add_argument("--port", type=int, default=8545, help="port to listen on (default 8545)")
    parser.add_argument(
        "--state",
        type=Path,
        help="state file (default: $FEDLEND_HOME/anvil-state.json); delete it to start afresh",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Start Anvil, print its URL and the dev accounts' addresses (never keys), wait for Ctrl-C."""
    from fedlend.chain.accounts import dev_accounts
    from fedlend.chain.anvil import AnvilProcess
    from fedlend.settings import Settings

    settings = Settings.from_env()
    state = args.state or settings.home / "anvil-state.json"
    restored = state.exists()
    node = AnvilProcess(port=args.port, state_file=state)
    for signum in (signal.SIGINT, signal.SIGTERM):  # stop gracefully: Anvil then saves its state
        signal.signal(signum, _interrupt)
    node.start()
    try:
        print(f"fedlend chain: Anvil on {node.rpc_url} (chain id {node.chain_id})")
        print(f"  state {'restored from' if restored else 'kept in'} {state}")
        print("  dev accounts (select one with FEDLEND_DEV_ACCOUNT=N; local chain only):")
        for index, account in enumerate(dev_accounts(node.accounts)):
            print(f"    {index}  {account.address}")
        print("  Ctrl-C stops the chain (its state is saved).", flush=True)
        return node.wait()
    except KeyboardInterrupt:
        print("fedlend chain: stopping, saving state", flush=True)
        return 0
    finally:
        node.stop()


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt
