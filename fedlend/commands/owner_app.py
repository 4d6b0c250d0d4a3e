"""`fedlend owner-app`: run the data owner's web app on 127.0.0.1 (never on another interface)."""

from __future__ import annotations

import argparse

DEFAULT_PORT = 5002


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `owner-app` subcommand."""
    parser = sub.add_parser(
        "owner-app",
        help="run the owner's web app on http://127.0.0.1:PORT/",
        description="Serve the owner app on 127.0.0.1 only; data lives in FEDLEND_HOME/owner/.",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT})"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C."""
    from fedlend.web.serve import serve
    from owner_app import create_app

    serve(create_app, port=args.port, name="fedlend owner app")
    return 0
