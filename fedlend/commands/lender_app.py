"""`fedlend lender-app`: run the lender's web app on 127.0.0.1 (never on another interface)."""

from __future__ import annotations

import argparse

DEFAULT_PORT = 5001


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `lender-app` subcommand."""
    parser = sub.add_parser(
        "lender-app",
        help="run the lender's web app on http://127.0.0.1:PORT/",
        description="Serve the lender app on 127.0.0.1 only; data lives in FEDLEND_HOME/lender/.",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT})"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C."""
    from fedlend.web.serve import serve
    from lender_app import create_app

    serve(create_app, port=args.port, name="fedlend lender app")
    return 0
