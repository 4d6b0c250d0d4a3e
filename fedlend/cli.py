"""The `fedlend` command: one subcommand per module in fedlend/commands/."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import fedlend.commands
from fedlend.errors import FedlendError


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand found in fedlend.commands."""
    parser = argparse.ArgumentParser(prog="fedlend", description=__doc__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(fedlend.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"fedlend.commands.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; FedlendError becomes a one-line message, exit 1."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except FedlendError as exc:
        print(f"fedlend: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("fedlend: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
