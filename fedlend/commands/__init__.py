"""CLI subcommands: each module defines register(subparsers) and sets func on its parser.

Modules import their heavy dependencies (torch, web3) inside the command function, so
`fedlend --help` stays fast.
"""
