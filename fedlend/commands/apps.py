"""`fedlend lender-app` / `fedlend owner-app`: serve a web app on 127.0.0.1 (never elsewhere)."""

from __future__ import annotations

import argparse
import importlib
from functools import partial

APPS = {  # command: (package, role in words, default port)
    "lender-app": ("lender_app", "lender", 5001),
    "owner-app": ("owner_app", "owner", 5002),
}


def register(sub: argparse._SubParsersAction) -> None:
    """Add one subcommand per app."""
    for command, (package, role, port) in APPS.items():
        parser = sub.add_parser(
            command,
            help=f"run the {role}'s web app on http://127.0.0.1:PORT/",
            description=f"Serve the {role} app on 127.0.0.1 only; "
            f"data lives in FEDLEND_HOME/{role}/.",
        )
        parser.add_argument("--port", type=int, default=port, help=f"TCP port (default {port})")
        parser.set_defaults(func=partial(run, package=package, role=role))


def run(args: argparse.Namespace, *, package: str, role: str) -> int:
    """Serve until Ctrl-C."""
    from fedlend.web.serve import serve

    create_app = importlib.import_module(package).create_app
    serve(create_app, port=args.port, name=f"fedlend {role} app")
    return 0
