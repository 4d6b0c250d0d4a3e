"""The account page: address, balance, what the contract owes, withdraw; chain and contract."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from fedlend.errors import FedlendError
from fedlend.redact import redact_url
from fedlend.web import get_settings, wallet_mode
from fedlend.web.connection import offline_page
from fedlend.web.filters import eth_rounded
from fedlend.web.wallet_views import start_wallet_job
from lender_app.context import account_source, flash_errors, get_lender

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("/")
def index() -> ResponseReturnValue:
    """Who signs, with how much, on which chain and contract."""
    try:
        node = get_lender().node
        balance, owed = node.balance(), node.client.owed(node.address)
    except FedlendError as exc:
        return offline_page("Account", exc)
    return render_template(
        "account/index.html",
        address=node.address,
        balance=balance,
        owed=owed,
        chain_id=node.chain_id,
        rpc_url=redact_url(get_settings().rpc_url),
        contract=node.client.address,
        source=account_source(),
        store=get_settings().ipfs_url or f"embedded store in {get_settings().store_dir}",
    )


@bp.post("/withdraw")
def withdraw() -> ResponseReturnValue:
    """Pay this account everything the contract owes it (in wallet mode: reviewed, then sent)."""
    if wallet_mode.wallet_mode():
        return start_wallet_job(
            "withdraw",
            "Withdraw what the contract owes you",
            lambda: f"Withdrew {eth_rounded(get_lender().withdraw().value)} to your wallet.",
            back=url_for(".index"),
        )
    with flash_errors():
        sent = get_lender().withdraw()
        flash(
            f"Withdrew {eth_rounded(sent.value)} to your account (gas {eth_rounded(sent.fee_wei)}, "
            f"transaction {sent.tx_hash}).",
            "success",
        )
    return redirect(url_for(".index"))
