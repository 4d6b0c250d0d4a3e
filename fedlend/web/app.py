"""make_app: the Flask app both fedlend apps start from (config, CSRF, Host check, errors, jobs)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_request_context, request, url_for
from flask_wtf.csrf import CSRFProtect
from werkzeug.routing import BuildError

from fedlend.chain import head
from fedlend.errors import ConfigError, FedlendError
from fedlend.redact import protect
from fedlend.settings import Settings
from fedlend.web import (
    errorpages,
    jobs_views,
    security,
    shared,
    tx_views,
    wallet_mode,
    wallet_views,
)
from fedlend.web.db import Database
from fedlend.web.filters import register_filters
from fedlend.web.jobs import JobRunner

log = logging.getLogger(__name__)

MAX_UPLOAD_ENV = "FEDLEND_MAX_UPLOAD_MB"
DEFAULT_MAX_UPLOAD_MB = 64
CSRF_TIME_LIMIT_S = 8 * 3600


@dataclass(frozen=True)
class Badge:
    """The account/chain badge in the page header: `tone` is 'ok', 'warn' or 'error'."""

    label: str
    detail: str = ""
    tone: str = "ok"


BadgeProvider = Callable[[], Badge | None]
NavItem = tuple[str, str]  # (endpoint, label), e.g. ("home.index", "Home")


def make_app(
    import_name: str,
    *,
    title: str,
    slug: str,
    test_config: Mapping[str, Any] | None = None,
    nav: Sequence[NavItem] = (),
    badge: BadgeProvider | None = None,
) -> Flask:
    """A hardened Flask app; its data (SQLite, secret key) lives in FEDLEND_HOME/<slug>/.

    `test_config` overrides any config key (DATA_DIR, PORT, SECRET_KEY, WTF_CSRF_ENABLED,
    SIGNING_MODE 'key'|'wallet', WALLET_SESSION_S, WALLET_TIMEOUT_S ...).
    `nav` lists the header links; `badge` is called on every page render to show the account
    and chain (a FedlendError it raises is shown as an error badge, not a broken page).
    """
    app = Flask(import_name)
    _configure(app, title=title, slug=slug, test_config=test_config or {})
    security.install(app)  # before CSRF: a foreign Host is refused before anything else runs
    CSRFProtect(app)
    errorpages.install(app)
    register_filters(app)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    wallet_mode.install(app, app.config["FEDLEND_SETTINGS"], app.config.get("SIGNING_MODE"))
    db = Database(app.config["DATA_DIR"] / f"{slug}.sqlite3")
    app.extensions["fedlend_db"] = db
    app.extensions["fedlend_jobs"] = JobRunner(
        db,
        workers=app.config["JOB_WORKERS"],
        name=f"{slug}-jobs",
        context=app.app_context,
        owner=lambda: wallet_mode.job_owner(app),
    )
    app.extensions["fedlend_layout"] = (tuple(nav), badge)
    app.teardown_appcontext(lambda _exc: db.close())
    app.before_request(head.begin)  # a page reads the chain at one head (fedlend.chain.head)
    app.teardown_request(lambda _exc: head.end())
    app.context_processor(_layout_context)
    app.register_blueprint(shared.bp)
    app.register_blueprint(jobs_views.bp)
    app.register_blueprint(wallet_views.bp)
    tx_views.install(app)
    return app


def get_db() -> Database:
    """The current app's SQLite database."""
    return current_app.extensions["fedlend_db"]


def get_settings() -> Settings:
    """The current app's fedlend Settings (from the environment unless a test passed some)."""
    return current_app.config["FEDLEND_SETTINGS"]


def _configure(app: Flask, *, title: str, slug: str, test_config: Mapping[str, Any]) -> None:
    app.config.update(
        APP_TITLE=title,
        APP_SLUG=slug,
        PORT=None,
        JOB_WORKERS=1,
        CHART_JS_PATH=None,
        MAX_CONTENT_LENGTH=_max_upload_mb() << 20,
        SESSION_COOKIE_NAME=f"fedlend_{slug}_session",  # two apps on one host share cookies
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=CSRF_TIME_LIMIT_S,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.config.update(test_config)
    if "FEDLEND_SETTINGS" not in app.config:
        app.config["FEDLEND_SETTINGS"] = Settings.from_env()
    protect(app.config["FEDLEND_SETTINGS"].rpc_url)  # its access key never reaches the log
    if "DATA_DIR" not in app.config:
        app.config["DATA_DIR"] = app.config["FEDLEND_SETTINGS"].home / slug
    app.config["DATA_DIR"] = Path(app.config["DATA_DIR"])
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = security.load_secret_key(app.config["DATA_DIR"])


def _max_upload_mb() -> int:
    text = os.environ.get(MAX_UPLOAD_ENV, "")
    if not text:
        return DEFAULT_MAX_UPLOAD_MB
    if not text.isdigit() or int(text) < 1:
        raise ConfigError(f"{MAX_UPLOAD_ENV} must be a whole number of MiB (>= 1), got {text!r}")
    return int(text)


def _layout_context() -> dict[str, Any]:
    nav, badge = current_app.extensions["fedlend_layout"]
    return {
        "app_title": current_app.config["APP_TITLE"],
        "app_slug": current_app.config["APP_SLUG"],
        "nav_items": _nav_links(nav),
        "badge": _badge(badge),
        "signing_mode": current_app.config["SIGNING_MODE"],
        "wallet": wallet_mode.wallet_session(),
    }


def _nav_links(nav: Sequence[NavItem]) -> list[dict[str, Any]]:
    links: list[dict[str, Any]] = []
    if not has_request_context():
        return links
    for endpoint, label in nav:
        try:
            url = url_for(endpoint)
        except BuildError:
            log.warning("nav item %r points at unknown endpoint %r", label, endpoint)
            continue
        links.append({"url": url, "label": label, "active": request.endpoint == endpoint})
    return links


def _badge(provider: BadgeProvider | None) -> Badge | None:
    if provider is None:
        return None
    try:
        return provider()
    except FedlendError as exc:
        return Badge("offline", str(exc), "error")
    except Exception:
        log.exception("the badge provider failed")
        return Badge("offline", "account or chain unavailable (see the server log)", "error")
