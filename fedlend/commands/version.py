"""`fedlend version`: print the installed version."""

from __future__ import annotations

import argparse

from fedlend import __version__


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `version` subcommand."""
    parser = sub.add_parser("version", help="print the fedlend version")
    parser.set_defaults(func=run)


def run(_args: argparse.Namespace) -> int:
    """Print the version."""
    print(f"fedlend {__version__}")
    return 0
