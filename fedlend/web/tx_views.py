"""The `tx` blueprint: a transaction's page (or the chain's explorer, if one is configured) and
the signed-in account's own transaction history; the `tx_link` filter every page uses."""

from __future__ import annotations

import os

from flask import Blueprint, Flask, current_app, render_template, url_for
from markupsafe import Markup

from fedlend.chain.client import ModelRepositoryClient
from fedlend.services.transactions import TX_HASH, history, tx_detail
from fedlend.web import wallet_mode

bp = Blueprint("tx", __name__, url_prefix="/tx")
EXPLORER_ENV = "FEDLEND_EXPLORER_URL"  # e.g. https://sepolia.etherscan.io/tx/{hash}
CLIENT_KEY = "fedlend_tx_client"


def install(app: Flask) -> None:
    """Register the blueprint and the tx_link filter."""
    app.config.setdefault("EXPLORER_TX_URL", os.environ.get(EXPLORER_ENV) or None)
    app.jinja_env.filters["tx_link"] = tx_link
    app.register_blueprint(bp)


def tx_url(tx_hash: str) -> str:
    """The explorer's page for the hash if configured, else this app's own page."""
    template = current_app.config.get("EXPLORER_TX_URL")
    if template:
        return template.format(hash=tx_hash) if "{hash}" in template else template + tx_hash
    return url_for("tx.show", tx_hash=tx_hash)


def tx_link(tx_hash: str | None) -> Markup | str:
    """A shortened hash linking to its page, with the full hash on hover and a Copy button."""
    if not tx_hash or not TX_HASH.fullmatch(str(tx_hash)):
        return "—"
    short = f"{tx_hash[:10]}…{tx_hash[-8:]}"
    return Markup(
        '<a class="mono tx-link" href="{0}" title="{1}" data-copy="{1}" '
        'data-copy-label="transaction hash">{2}</a>'
    ).format(tx_url(tx_hash), tx_hash, short)


def _client() -> ModelRepositoryClient:
    client = current_app.extensions.get(CLIENT_KEY)
    if client is None:
        client = ModelRepositoryClient.connect(
            current_app.config["FEDLEND_SETTINGS"], read_only=True
        )
        current_app.extensions[CLIENT_KEY] = client
    return client


@bp.get("/")
def index() -> str:
    """The acting account's own transactions with the contract, newest first."""
    address = wallet_mode.acting_address() if wallet_mode.wallet_mode() else None
    if address is None and not wallet_mode.wallet_mode():
        address = wallet_mode.key_address(current_app.config["FEDLEND_SETTINGS"]) or None
    if address is None:
        wallet_mode.require_address()
    rows = history(_client(), address)  # type: ignore[arg-type]
    return render_template("tx/index.html", rows=rows, address=address)


@bp.get("/<tx_hash>")
def show(tx_hash: str) -> str:
    """One transaction, from its receipt: what it did, who sent it, value, fee, events."""
    return render_template("tx/show.html", tx=tx_detail(_client(), tx_hash))
