"""The `wallet` blueprint: sign in with a wallet (EIP-4361), hand job requests to it, tx pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from fedlend.chain.rpc import connect
from fedlend.errors import ChainUnavailableError, FedlendError, SignInError
from fedlend.wallet.signin import DEFAULT_SESSION_S, sign_in_message, verify_sign_in
from fedlend.web import wallet_mode
from fedlend.web.filters import eth, eth_rounded
from fedlend.web.jobs_views import get_jobs, safe_next

bp = Blueprint("wallet", __name__, url_prefix="/wallet")
MAX_ANSWER_CHARS = 4096


def expected_chain_id() -> int:
    """The chain this app works on (asked of the node once, then remembered)."""
    cached = current_app.config.get("WALLET_CHAIN_ID")
    if cached is None:
        settings = current_app.config["FEDLEND_SETTINGS"]
        cached = int(connect(settings.rpc_url, timeout=settings.rpc_timeout).eth.chain_id)
        current_app.config["WALLET_CHAIN_ID"] = cached
    return int(cached)


@bp.get("/session")
def state() -> Response:
    """The mode, the signed-in account and the chain a wallet must be on (for wallet.js)."""
    found = wallet_mode.wallet_session()
    body: dict[str, Any] = {"mode": current_app.config["SIGNING_MODE"], "address": None}
    if found is not None:
        body.update(address=found.address, chain_id=found.chain_id, expires_at=found.expires_at)
        account = wallet_mode.wallet_account(found.address)
        body["key_unlocked"] = account.unlocked
    try:
        chain = expected_chain_id()
    except ChainUnavailableError as exc:
        body["chain_error"] = str(exc)
    else:
        settings = current_app.config["FEDLEND_SETTINGS"]
        body["chain"] = {
            "chainId": hex(chain),
            "chainName": f"fedlend chain {chain}",
            "rpcUrls": [settings.rpc_url],
            "nativeCurrency": {"name": "Ether", "symbol": "ETH", "decimals": 18},
        }
    return _no_store(jsonify(body))


@bp.post("/nonce")
def nonce() -> ResponseReturnValue:
    """The EIP-4361 message for this address and chain, with a fresh single-use nonce."""
    body = _json_body()
    try:
        chain = expected_chain_id()
        if body.get("chainId") != chain:
            raise SignInError(
                f"your wallet is on chain {body.get('chainId')}, this app on chain {chain}: "
                "switch networks in your wallet, then connect again"
            )
        text = sign_in_message(
            domain=request.host,
            uri=request.host_url.rstrip("/"),
            address=str(body.get("address", "")),
            chain_id=chain,
            nonce=wallet_mode.nonces().issue(),
            session_s=float(current_app.config.get("WALLET_SESSION_S", DEFAULT_SESSION_S)),
        )
    except FedlendError as exc:
        return _problem(exc)
    return _no_store(jsonify(message=text))


@bp.post("/login")
def login() -> ResponseReturnValue:
    """Check the signed message (domain, chain, nonce, expiry, signer); bind the session to it."""
    body = _json_body()
    try:
        found = verify_sign_in(
            body.get("message"),  # type: ignore[arg-type]
            body.get("signature"),  # type: ignore[arg-type]
            domain=request.host,
            chain_id=expected_chain_id(),
            nonces=wallet_mode.nonces(),
        )
    except FedlendError as exc:
        return _problem(exc)
    previous = wallet_mode.wallet_session()
    if previous is not None and previous.address != found.address:
        wallet_mode.forget_wallet(previous.address)
    session.clear()
    session[wallet_mode.SESSION_KEY] = found.to_json()
    return _no_store(jsonify(address=found.address, expires_at=found.expires_at))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the wallet session (and drop the decryption key it unlocked)."""
    found = wallet_mode.wallet_session()
    if found is not None:
        wallet_mode.forget_wallet(found.address)
    session.pop(wallet_mode.SESSION_KEY, None)
    return _no_store(jsonify(address=None))


@bp.post("/unlock")
def unlock() -> ResponseReturnValue:
    """Derive the lender's decryption key from the wallet's signature of the fixed key message."""
    found = wallet_mode.wallet_session()
    if found is None:
        return _problem(SignInError(wallet_mode.NOT_CONNECTED), 401)
    try:
        wallet_mode.wallet_account(found.address).unlock(str(_json_body().get("signature", "")))
    except FedlendError as exc:
        return _problem(exc)
    return _no_store(jsonify(key_unlocked=True))


@bp.get("/requests/<job_id>")
def pending(job_id: str) -> Response:
    """The wallet request a job of this account waits on (null if none)."""
    found = wallet_mode.wallet_session()
    if found is None:
        return _no_store(jsonify(request=None, signed_in=False))
    get_jobs().get(job_id)  # 404 unless the job is this account's
    open_request = wallet_mode.bridge().pending(job_id, found.address)
    if open_request is None:
        return _no_store(jsonify(request=None))
    return _no_store(jsonify(request=_with_amounts(open_request.to_json())))


def _with_amounts(body: dict[str, Any]) -> dict[str, Any]:
    """Wei figures of a transaction review in words: the UI's one ETH formatter, exact on hover."""
    review = dict(body["review"])
    if "value" in review:
        value, fee = int(review["value"]), int(review["fee_estimate_wei"])
        review["value_text"] = eth_rounded(value) if value else "nothing (0 ETH)"
        review["value_exact"] = f"{eth(value)} ({value:,} wei)"
        review["fee_text"] = f"{eth_rounded(fee)} ({review['gas']:,} gas)"
    body["review"] = review
    return body


@bp.post("/requests/<request_id>")
def answer(request_id: str) -> ResponseReturnValue:
    """The wallet's outcome: {result: "0x..."} or {error: {code, message}}."""
    found = wallet_mode.wallet_session()
    if found is None:
        return _problem(SignInError(wallet_mode.NOT_CONNECTED), 401)
    body = _json_body()
    result, error = body.get("result"), body.get("error")
    parsed_error = None
    if isinstance(error, dict):
        code = error.get("code")
        parsed_error = (code if isinstance(code, int) else -1, str(error.get("message", ""))[:300])
    elif not (isinstance(result, str) and len(result) <= MAX_ANSWER_CHARS):
        return _problem(FedlendError("send a result or an error"))
    if not wallet_mode.bridge().answer(
        request_id,
        found.address,
        result=result if parsed_error is None else None,
        error=parsed_error,
    ):
        abort(404, description="that wallet request is no longer open: reload the page")
    return _no_store(jsonify(ok=True))


def _json_body() -> dict[str, Any]:
    if request.content_length and request.content_length > 4 * MAX_ANSWER_CHARS:
        abort(413)
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _problem(exc: FedlendError, status: int = 400) -> ResponseReturnValue:
    return _no_store(jsonify(error=str(exc))), status


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/jobs/<job_id>")
def job(job_id: str) -> str:
    """A one-transaction action (withdraw, reclaim) run in wallet mode: review, send, outcome."""
    found = get_jobs().get(job_id)
    return render_template("wallet_job.html", job=found, back=safe_next(request.args.get("back")))


def start_wallet_job(
    kind: str, title: str, action: Callable[[], str], *, back: str
) -> ResponseReturnValue:
    """Run `action` (it returns the outcome in words) as a job the wallet answers; show its page."""

    def run(progress: Callable[..., None], _cancelled: Callable[[], bool]) -> dict[str, str]:
        progress(0.1, "preparing the transaction: review it, then confirm it in your wallet")
        outcome = action()
        progress(1.0, outcome)
        return {"outcome": outcome}

    job_id = get_jobs().submit(kind, run, title=title)
    return redirect(url_for("wallet.job", job_id=job_id, back=back))
