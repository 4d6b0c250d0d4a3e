"""Shared parts of the lender app tests: the app on a market, the bounty form, jobs, pages."""

from __future__ import annotations

import io
import json
import re
import socket
from html import unescape
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from fedlend.web import Job
from tests.apps.helpers import assert_no_traceback, build_app, csrf_token
from tests.market import Market

WAIT_S = 60.0
CHART = re.compile(r"data-chart-data='([^']+)'")
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')
FLASH = re.compile(r'<p class="flash flash-(\w+)">(.*?)</p>', re.S)
VALID_FIELDS = {
    "title": "Default risk, app test",
    "model_kind": "logreg",
    "metric": "roc_auc",
    "base": "own-data",
    "base_share": "50",
    "target": "0.75",
    "bounty_eth": "1.234567890123456789",
    "deadline_mode": "hours",
    "deadline_hours": "24",
    "deadline_at": "",
}


def lender_app(market: Market, data_dir: Path, *, dev: int = 0, **config: Any) -> Flask:
    """The real lender app on `data_dir`, signing as dev account `dev` of the market."""
    config.setdefault("FEDLEND_SETTINGS", market.settings(dev))
    return build_app("lender", data_dir, **config)


def post_bounty_form(
    client: FlaskClient,
    *,
    csv: bytes | None = None,
    action: str = "post",
    confirm: bool = True,
    **fields: str,
) -> TestResponse:
    """POST the new-bounty form like the browser does (valid fields unless overridden); a post
    that asks to confirm the exact escrow is confirmed (unless `confirm=False`)."""
    data: dict[str, Any] = {**VALID_FIELDS, **fields, "action": action}
    data["csrf_token"] = csrf_token(client, "/bounties/new")
    if csv is not None:
        data["csv"] = (io.BytesIO(csv), "loans.csv")
    response = client.post("/bounties/new", data=data, content_type="multipart/form-data")
    hidden = dict(HIDDEN.findall(response.get_data(as_text=True)))
    if not confirm or action != "post" or "confirm_wei" not in hidden:
        return response
    data.pop("csv", None)
    data.update({k: hidden[k] for k in ("upload", "post_id", "confirm_wei")})
    return client.post("/bounties/new", data=data, content_type="multipart/form-data")


def wait_job(app: Flask, job_id: str) -> Job:
    """Block until one of the app's jobs has finished."""
    return app.extensions["fedlend_jobs"].wait(job_id, timeout_s=WAIT_S)


def page(client: FlaskClient, path: str, *, status: int = 200) -> str:
    """GET a page, check its status and that it leaks no traceback; return its HTML."""
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == status, (path, response.status_code, html[:2000])
    assert_no_traceback(html)
    return html


def flashes(html: str) -> list[tuple[str, str]]:
    """The (category, text) flash messages a page shows."""
    return [
        (kind, unescape(re.sub(r"\s+", " ", text).strip())) for kind, text in FLASH.findall(html)
    ]


def charts(html: str) -> list[dict[str, Any]]:
    """The chart data the page hands to charts.js."""
    return [json.loads(unescape(raw)) for raw in CHART.findall(html)]


def dead_rpc_url() -> str:
    """An http URL on a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def post_action(client: FlaskClient, path: str, **data: str) -> TestResponse:
    """POST one of the page's action forms with a CSRF token; expect the redirect back."""
    token = csrf_token(client, "/")
    response = client.post(path, data={"csrf_token": token, **data})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def update_row(html: str, update_id: int) -> str:
    """The model page's table row of one update."""
    match = re.search(rf'<tr id="update-{update_id}">(.*?)</tr>', html, re.S)
    assert match, f"no row for update {update_id}"
    return match.group(1)
