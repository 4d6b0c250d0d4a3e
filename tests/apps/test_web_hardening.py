"""Restarts, redirects and local files: a crashed app restarts at once, `next` never leaves the
site or breaks a page, and the apps' SQLite files are readable by their owner only."""

from __future__ import annotations

import socket
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from fedlend.services.lender import PostedModel
from fedlend.services.record_rows import DatasetRow, SubmissionRow
from fedlend.services.records import OWNER, Records
from fedlend.web.jobs_views import safe_next
from fedlend.web.serve import check_port
from lender_app.context import get_lender
from tests.apps.helpers import build_app, csrf_token
from tests.apps.lender_support import lender_app
from tests.market import *  # noqa: F403
from tests.market import Market

HOSTILE_NEXT = [
    "/\t/evil.example/x",
    "/\n/evil.example/x",
    "/\r\n/evil.example",
    "/ok\r\nSet-Cookie: a=b",
    "//evil.example",
    "/\\evil.example",
    "/x\\..\\evil",
    "\\\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "/ /evil.example",
    "/\x00",
    "/" + "a" * 5000,
    "",
    None,
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_next_refuses_anything_but_a_plain_local_path(target: str | None) -> None:
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/", "/data/abc?model=3", "/models/7#updates", "/jobs/%0a"])
def test_next_keeps_plain_local_paths(target: str) -> None:
    assert safe_next(target) == target


@pytest.mark.parametrize("target", ["/\n/evil.example/x", "/\t/evil.example/x"])
def test_a_hostile_next_after_an_action_redirects_home_not_a_500(
    tmp_path: Path, target: str
) -> None:
    app = build_app("owner", tmp_path / "owner")
    try:
        job_id = app.extensions["fedlend_jobs"].submit("demo", lambda _progress, _cancelled: None)
        client = app.test_client()
        response = client.post(
            f"/jobs/{job_id}/cancel", data={"csrf_token": csrf_token(client), "next": target}
        )
        assert response.status_code == 302
        assert response.headers["Location"] == "/"
    finally:
        app.extensions["fedlend_jobs"].shutdown()


def _time_wait_port() -> int:
    """A port whose server just went away, leaving a TIME_WAIT connection (a crashed app)."""
    server = make_server("127.0.0.1", 0, lambda _env, _start: [])
    port = server.server_port
    client = socket.create_connection(("127.0.0.1", port))
    conn, _ = server.socket.accept()
    conn.close()  # the server side closes first: its end stays in TIME_WAIT
    client.recv(1)
    client.close()
    server.server_close()
    return port


def test_restart_after_a_crash_is_not_refused_for_a_minute() -> None:
    port = _time_wait_port()
    check_port(port)  # would say "already in use" without SO_REUSEADDR
    again = make_server("127.0.0.1", port, lambda _env, _start: [])
    again.server_close()


@pytest.mark.parametrize("which", ["lender", "owner"])
def test_app_databases_and_their_directory_are_private(tmp_path: Path, which: str) -> None:
    data = tmp_path / which
    app = build_app(which, data)
    try:
        with app.app_context():
            app.extensions["fedlend_db"].execute("SELECT 1")
        app.extensions["fedlend_jobs"].submit("demo", lambda _progress, _cancelled: None)
    finally:
        app.extensions["fedlend_jobs"].shutdown()
    files = list(data.glob("*.sqlite3*"))
    assert files
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


def test_records_deleted_while_running_start_afresh_and_stay_private(tmp_path: Path) -> None:
    records = Records(tmp_path / "state" / "records.sqlite3", OWNER)
    records.upsert(DatasetRow("a", "x", "p", 1, 0.0))
    for leftover in records.path.parent.glob("records.sqlite3*"):
        leftover.unlink()
    assert records.rows(SubmissionRow, model_id=1) == []  # no "no such table": a fresh file
    records.upsert(DatasetRow("b", "y", "p", 2, 1.0))
    assert [r.sha256 for r in records.rows(DatasetRow)] == ["b"]
    assert stat.S_IMODE(records.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(records.path.parent.stat().st_mode) == 0o700


def test_deleting_the_lenders_records_while_it_runs_keeps_the_model_page(
    market: Market, posted: Callable[..., PostedModel], tmp_path: Path
) -> None:
    model = posted()
    app = lender_app(market, tmp_path / "lender")
    try:
        client = app.test_client()
        assert client.get(f"/models/{model.model_id}").status_code == 200
        with app.app_context():
            path = get_lender().records.path
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
        response = client.get(f"/models/{model.model_id}")
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        assert f"#{model.model_id}" in response.get_data(as_text=True)
    finally:
        app.extensions["fedlend_jobs"].shutdown()
