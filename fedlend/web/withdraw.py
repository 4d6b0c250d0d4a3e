"""The withdraw action both apps mount: pull everything the contract owes this account."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect
from flask.typing import ResponseReturnValue

from fedlend.errors import ChainError
from fedlend.services.lender import LenderService
from fedlend.services.owner import OwnerService
from fedlend.web import wallet_mode
from fedlend.web.filters import eth_rounded
from fedlend.web.wallet_views import start_wallet_job


def withdraw_action(
    service: Callable[[], LenderService | OwnerService], *, back: str
) -> ResponseReturnValue:
    """Withdraw (in wallet mode: a job the wallet reviews and sends), say what happened, go `back`.

    The chain's refusal (nothing owed) is an error message on that page; a node that cannot be
    reached at all is the app's own error page, as for any other action."""
    if wallet_mode.wallet_mode():
        return start_wallet_job(
            "withdraw",
            "Withdraw what the contract owes you",
            lambda: f"Withdrew {eth_rounded(service().withdraw().value)} to your wallet.",
            back=back,
        )
    account = service()
    try:
        sent = account.withdraw()
    except ChainError as exc:
        flash(f"Withdrawal refused: {exc}", "error")
        return redirect(back)
    now = account.node.balance()
    flash(
        f"Withdrew {eth_rounded(sent.value)} (fee {eth_rounded(sent.fee_wei)}); "
        f"your balance is now {eth_rounded(now)}. Transaction {sent.tx_hash}.",
        "success",
    )
    return redirect(back)
