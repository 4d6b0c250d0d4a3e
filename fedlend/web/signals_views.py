"""The `signals` blueprint: an address's risk level, score, reasons and profile, in both apps."""

from __future__ import annotations

import threading
from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from fedlend.chain.history import ScanConfig, parse_address
from fedlend.chain.rpc import connect
from fedlend.errors import FedlendError
from fedlend.services import signals as service
from fedlend.web import wallet_mode
from fedlend.web.app import get_db, get_settings
from fedlend.web.jobs import JobRunner
from fedlend.web.jobs_views import get_jobs

bp = Blueprint("signals", __name__, url_prefix="/address")
MAX_EXPORT_FILES = 4
_CHAIN_KEY = "signals_chain_id"
_PENDING_KEY = "signals_pending"
_RUNNER_KEY = "signals_jobs"


def init_app(app: Flask) -> None:
    """Register the blueprint and the `address_signal` template global (cached lookups only)."""
    app.register_blueprint(bp)
    # Its own worker, so a slow scan never delays a contribution or an evaluation; created with
    # the app (a runner marks unfinished jobs interrupted when it starts, so never later).
    app.extensions[_RUNNER_KEY] = JobRunner(
        app.extensions["fedlend_db"],
        workers=1,
        name="signals-jobs",
        context=app.app_context,
        owner=lambda: wallet_mode.job_owner(app),  # a check belongs to who asked for it
    )
    app.jinja_env.globals["address_signal"] = address_signal
    app.jinja_env.globals["signals_thresholds"] = lambda: service.context(config()).model.thresholds
    app.extensions[_PENDING_KEY] = (threading.Lock(), set())


def config() -> service.SignalsConfig:
    """The app's signals settings (SIGNALS_* config keys override the defaults)."""
    cfg = current_app.config
    return service.SignalsConfig(
        blacklist_file=cfg.get("SIGNALS_BLACKLIST"),
        scan=ScanConfig(
            max_blocks=int(cfg.get("SIGNALS_MAX_BLOCKS", 20_000)),
            from_block=cfg.get("SIGNALS_FROM_BLOCK"),
            time_budget_s=float(cfg.get("SIGNALS_SCAN_TIME_S", 30.0)),
        ),
    )


@bp.get("/")
def index() -> ResponseReturnValue:
    """The address form; ?address=X shows its cached result (or offers to compute it)."""
    text = request.args.get("address", "").strip()
    if not text:
        return render_template("signals/address.html", report=None, address="")
    try:
        address = parse_address(text)
    except FedlendError as exc:
        return render_template("signals/address.html", report=None, address=text, error=str(exc))
    chain_id = _chain_id()
    report: service.AddressReport | None
    if chain_id is None:
        report = service.unknown(address, f"the chain cannot be scanned: {g.signals_chain_error}")
    else:
        report = service.cached_level(get_db(), chain_id, address)
    return render_template("signals/address.html", report=report, address=address)


@bp.post("/check")
def check() -> ResponseReturnValue:
    """Scan the chain for the address in a background job, then show the result."""
    text = request.form.get("address", "")
    try:
        address = parse_address(text)
    except FedlendError as exc:
        return render_template("signals/address.html", report=None, address=text, error=str(exc))
    job_id = start_scan(address, refresh=True)
    return redirect(url_for("signals.job", job_id=job_id))


@bp.get("/job/<job_id>")
def job(job_id: str) -> ResponseReturnValue:
    """The scan's progress (the page follows the job to its result)."""
    return render_template("signals/job.html", job=get_jobs().get(job_id))


@bp.post("/import")
def import_exports() -> ResponseReturnValue:
    """Assess an address from uploaded Etherscan CSV exports (shown, not cached)."""
    text = request.form.get("address", "")
    files = [f for f in request.files.getlist("exports") if f and f.filename][:MAX_EXPORT_FILES]
    if not files:
        flash("Choose at least one Etherscan CSV export to import.", "error")
        return redirect(url_for("signals.index", address=text))
    try:
        report = service.from_exports(config(), text, [(f.filename or "", f.read()) for f in files])
    except FedlendError as exc:
        return render_template("signals/address.html", report=None, address=text, error=str(exc))
    return render_template("signals/address.html", report=report, address=report.address)


def start_scan(address: str, *, refresh: bool) -> str:
    """Submit a scan job for the address; its result redirects to the address page."""
    cfg, settings = config(), get_settings()
    db = get_db()
    done = {"redirect": url_for("signals.index", address=address)}

    def run(progress: Any, _cancelled: Any) -> dict[str, str]:
        try:
            w3 = connect(settings.rpc_url, timeout=settings.rpc_timeout)
        except FedlendError:
            w3 = None

        def scanned(done: int, total: int) -> None:
            progress(done / total if total else 1.0, f"scanned {done:,} of {total:,} blocks")

        service.from_chain(cfg, w3, address, db=db, refresh=refresh, progress=scanned)
        return done

    runner: JobRunner = current_app.extensions[_RUNNER_KEY]
    return runner.submit("signals", run, title=f"Checking {address[:10]}…")


def address_signal(address: str, *, background: bool = True) -> service.AddressReport | None:
    """The cached report for an address on the app's chain; starts a background check if none."""
    chain_id = _chain_id()
    if chain_id is None or not address:
        return None
    seen: dict[str, service.AddressReport | None] = g.setdefault("signals_seen", {})
    if address.lower() in seen:  # a list shows one lender on many rows: one read per page
        return seen[address.lower()]
    try:
        report = service.cached_level(get_db(), chain_id, address)
    except FedlendError:
        return None
    seen[address.lower()] = report
    if report is None and background:
        lock, pending = current_app.extensions[_PENDING_KEY]
        with lock:
            if address.lower() not in pending:
                pending.add(address.lower())
                start_scan(parse_address(address), refresh=False)
    return report


def _chain_id() -> int | None:
    """The connected chain's id (asked once per app; None while the chain is down)."""
    cached = current_app.extensions.get(_CHAIN_KEY)
    if cached is not None:
        return cached
    if g.get("signals_chain_error"):
        return None
    settings = get_settings()
    try:
        w3 = connect(settings.rpc_url, timeout=min(5.0, settings.rpc_timeout))
        chain_id = int(w3.eth.chain_id)
    except (FedlendError, OSError, ValueError) as exc:
        g.signals_chain_error = str(exc) or "no answer"
        return None
    current_app.extensions[_CHAIN_KEY] = chain_id
    return chain_id
