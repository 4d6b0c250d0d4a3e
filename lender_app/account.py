"""The account page: address, balance, what the contract owes, withdraw; chain and contract."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from fedlend.errors import FedlendError
from fedlend.redact import redact_url
from fedlend.web import get_settings
from fedlend.web.connection import offline_page
from fedlend.web.withdraw import withdraw_action
from lender_app.context import account_source, flash_errors, get_lender

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("/")
def index() -> ResponseReturnValue:
    """Who signs, with how much, on which chain and contract."""
    try:
        node = get_lender().node
        balance, owed = node.balance(), node.owed()
    except FedlendError as exc:
        return offline_page("Account", exc)
    return render_template(
        "account/index.html",
        address=node.address,
        balance=balance,
        owed=owed,
        chain_id=node.chain_id,
        rpc_url=redact_url(get_settings().rpc_url),
        contract=node.contract,
        source=account_source(),
        store=get_settings().ipfs_url or f"embedded store in {get_settings().store_dir}",
    )


@bp.post("/withdraw")
def withdraw() -> ResponseReturnValue:
    """Pay this account everything the contract owes it (in wallet mode: reviewed, then sent)."""
    response: ResponseReturnValue | None = None
    with flash_errors():  # this app turns an unreachable chain into a message, not a 503
        response = withdraw_action(get_lender, back=url_for(".index"))
    return redirect(url_for(".index")) if response is None else response
