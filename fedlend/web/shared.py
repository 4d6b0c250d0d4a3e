"""The `web` blueprint: shared templates and static files, locally served Chart.js, /healthz."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, send_file
from werkzeug.exceptions import NotFound

from fedlend import __version__
from fedlend.settings import ROOT

CHART_JS = ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/_web/static",
)


@bp.get("/_web/vendor/chart.js")
def chart_js() -> Response:
    """Chart.js (UMD build) straight from node_modules: no CDN, ever."""
    path = Path(current_app.config.get("CHART_JS_PATH") or CHART_JS)
    if not path.is_file():
        current_app.logger.error("chart.js missing at %s: run `make setup` (npm ci)", path)
        raise NotFound("Chart.js is not installed: run `make setup` (it runs npm ci).")
    return send_file(path, mimetype="text/javascript", max_age=3600)


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness probe: which app, which version."""
    return jsonify(status="ok", app=current_app.config["APP_SLUG"], version=__version__)
