"""`fedlend deploy`: compile and deploy ModelRepository, record its address, print it."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `deploy` subcommand."""
    parser = sub.add_parser(
        "deploy",
        help="compile and deploy ModelRepository with the configured account; remember its address",
    )
    parser.add_argument(
        "--dev-account",
        type=int,
        metavar="N",
        help="sign with Anvil dev account N (local chain only) instead of FEDLEND_* settings",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Deploy, record in $FEDLEND_HOME/deployments.json, print the address."""
    from fedlend.chain.deploy import deploy_and_record
    from fedlend.settings import Settings

    settings = Settings.from_env()
    if args.dev_account is not None:
        settings = settings.with_(
            dev_account=args.dev_account, private_key=None, keystore_path=None
        )
    client = deploy_and_record(settings)
    receipt = client.deploy_receipt
    print(f"ModelRepository deployed at {client.address} on chain {client.chain_id}")
    if receipt is not None:
        print(f"  block {receipt.block_number}, gas {receipt.gas_used}, tx {receipt.tx_hash}")
    print(f"  deployer {client.account_address}")
    print(f"  recorded in {settings.deployment_file}")
    return 0
