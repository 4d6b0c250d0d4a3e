"""The shared web layer through the real lender and owner apps: CSRF, Host check, errors, limits."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Blueprint, Flask, render_template_string, request
from markupsafe import escape

from fedlend.errors import (
    ChainUnavailableError,
    ConfigError,
    DataError,
    FedlendError,
    NotFoundError,
    StorageUnavailableError,
)
from fedlend.web.errorpages import CSRF_MESSAGE
from fedlend.web.security import SECURITY_HEADERS
from tests.apps.helpers import assert_no_traceback, build_app, csrf_token, json_body

probe = Blueprint("probe", __name__, url_prefix="/_probe")
FORM_PAGE = """{% extends "base.html" %}{% from "_macros.html" import csrf_field %}
{% block content %}<form method="post">{{ csrf_field() }}<input name="name"></form>{% endblock %}"""
RAISES: dict[str, Exception] = {
    "runtime": RuntimeError("db password is hunter2 at /srv/secret.py"),
    "zero": ZeroDivisionError("division by zero in secret_formula"),
    "key": KeyError("secret_key_name"),
    "not-found": NotFoundError("no model 7: it may not be posted yet; refresh the bounty list"),
    "data": DataError("the CSV lacks the column 'loan_amnt': export it again with that column"),
    "chain": ChainUnavailableError("cannot reach http://127.0.0.1:8545: start Anvil first"),
    "storage": StorageUnavailableError("the content store is down: start it and retry"),
    "config": ConfigError("FEDLEND_CONTRACT is not set: run `fedlend deploy` first"),
    "html": DataError("<script>alert('x')</script> is not a number"),
}


@probe.route("/form", methods=["GET", "POST"])
def form() -> str:
    if request.method == "POST":
        return f"saved:{request.form['name']}"
    return render_template_string(FORM_PAGE)


@probe.post("/upload")
def upload() -> str:
    return f"got {len(request.files['file'].read())} bytes"


@probe.post("/post-only")
def post_only() -> str:
    return "posted"


@probe.get("/raise/<kind>")
def raise_(kind: str) -> str:
    raise RAISES[kind]


@probe.get("/bad-template")
def bad_template() -> str:
    return render_template_string("{{ missing.attribute.deeper }}")


def probe_app(which: str, tmp_path: Path, **config: object) -> Flask:
    app = build_app(which, tmp_path / which, **config)
    app.register_blueprint(probe)
    return app


@pytest.fixture(params=["lender", "owner"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Flask:
    return probe_app(request.param, tmp_path)


# --- CSRF --------------------------------------------------------------------------------
def test_post_without_csrf_token_is_refused_with_a_friendly_page(app: Flask) -> None:
    client = app.test_client()
    client.get("/_probe/form")
    response = client.post("/_probe/form", data={"name": "alice"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert escape(CSRF_MESSAGE) in text
    assert "saved:" not in text
    assert_no_traceback(text)


@pytest.mark.parametrize("token", ["", "forged-token", "ImFhYWEi.Zz.zz"])
def test_post_with_a_wrong_csrf_token_is_refused(app: Flask, token: str) -> None:
    client = app.test_client()
    csrf_token(client, "/_probe/form")
    response = client.post("/_probe/form", data={"name": "alice", "csrf_token": token})
    assert response.status_code == 400
    assert escape(CSRF_MESSAGE) in response.get_data(as_text=True)


def test_post_with_the_pages_csrf_token_is_accepted(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client, "/_probe/form")
    response = client.post("/_probe/form", data={"name": "alice", "csrf_token": token})
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "saved:alice"


def test_csrf_token_header_is_accepted_for_fetch_callers(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client)
    response = client.post("/_probe/post-only", headers={"X-CSRFToken": token})
    assert response.status_code == 200


def test_a_token_from_another_session_is_refused(app: Flask) -> None:
    token = csrf_token(app.test_client(), "/_probe/form")
    other = app.test_client()
    other.get("/_probe/form")
    response = other.post("/_probe/form", data={"name": "x", "csrf_token": token})
    assert response.status_code == 400


def test_the_form_macro_renders_a_hidden_token_field(app: Flask) -> None:
    html = app.test_client().get("/_probe/form").get_data(as_text=True)
    assert re.search(r'<input type="hidden" name="csrf_token" value="[^"]{20,}">', html)


# --- Host check (DNS rebinding) ----------------------------------------------------------
@pytest.mark.parametrize(
    "host",
    [
        "evil.com",
        "127.0.0.1.evil.com",
        "attacker:5001",
        "localhost.evil.com:5001",
        "127.0.0.1:5002",
        "127.0.0.2:5001",
        "0.0.0.0:5001",
        "[::2]:5001",
        "127.0.0.1:5001.evil.com",
        "127.0.0.1",
        "",
    ],
)
def test_foreign_host_is_refused(tmp_path: Path, host: str) -> None:
    app = probe_app("lender", tmp_path, PORT=5001)
    response = app.test_client().get("/", headers={"Host": host})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "only answers requests addressed to it on this computer" in text
    assert "Background jobs" not in text  # the real page did not run
    assert_no_traceback(text)


@pytest.mark.parametrize(
    "host", ["127.0.0.1:5001", "localhost:5001", "LOCALHOST:5001", "[::1]:5001"]
)
def test_loopback_host_with_the_apps_port_is_accepted(tmp_path: Path, host: str) -> None:
    app = probe_app("lender", tmp_path, PORT=5001)
    response = app.test_client().get("/", headers={"Host": host})
    assert response.status_code == 200
    assert "Background jobs" in response.get_data(as_text=True)


def test_foreign_host_is_refused_before_csrf_and_on_posts(tmp_path: Path) -> None:
    app = probe_app("owner", tmp_path, PORT=5002)
    client = app.test_client()
    good = {"Host": "127.0.0.1:5002"}
    data = {"name": "bob", "csrf_token": csrf_token(client, "/_probe/form", headers=good)}
    response = client.post("/_probe/form", data=data, headers={"Host": "evil.com"})
    assert response.status_code == 400
    assert "only answers requests" in response.get_data(as_text=True)
    saved = client.post("/_probe/form", data=data, headers=good)
    assert saved.get_data(as_text=True) == "saved:bob"


def test_host_check_covers_static_files_and_json(tmp_path: Path) -> None:
    client = probe_app("lender", tmp_path, PORT=5001).test_client()
    for path in ("/_web/static/fedlend.css", "/healthz", "/_web/vendor/chart.js"):
        assert client.get(path, headers={"Host": "evil.com:5001"}).status_code == 400
        assert client.get(path, headers={"Host": "127.0.0.1:5001"}).status_code == 200


# --- error pages -------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["runtime", "zero", "key"])
def test_unexpected_exception_shows_generic_page_with_incident_id(
    app: Flask, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get(f"/_probe/raise/{kind}")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert_no_traceback(text)
    assert "secret" not in text
    assert "hunter2" not in text
    incident = re.search(r"Incident id: <code>([0-9a-f]{8})</code>", text)
    assert incident, text
    logged = [r for r in caplog.records if incident.group(1) in r.getMessage()]
    assert logged
    assert logged[0].exc_info is not None  # the traceback went to the server log


def test_template_error_is_a_generic_500(app: Flask) -> None:
    response = app.test_client().get("/_probe/bad-template")
    assert response.status_code == 500
    assert_no_traceback(response.get_data(as_text=True))
    assert "UndefinedError" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("kind", "status"),
    [("not-found", 404), ("data", 400), ("chain", 503), ("storage", 503), ("config", 500)],
)
def test_fedlend_error_shows_its_message(app: Flask, kind: str, status: int) -> None:
    response = app.test_client().get(f"/_probe/raise/{kind}")
    assert response.status_code == status
    text = response.get_data(as_text=True)
    assert escape(str(RAISES[kind])) in text
    assert_no_traceback(text)
    assert "Incident id" not in text


def test_fedlend_error_message_is_html_escaped(app: Flask) -> None:
    text = app.test_client().get("/_probe/raise/html").get_data(as_text=True)
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; is not a number" in text


def test_fedlend_error_as_json_for_fetch_callers(app: Flask) -> None:
    response = app.test_client().get("/_probe/raise/data", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.json == {"error": str(RAISES["data"]), "status": 400, "incident": None}


@pytest.mark.parametrize(
    ("method", "path", "status", "phrase"),
    [
        ("get", "/no/such/page", 404, "There is nothing at this address"),
        ("get", "/_probe/post-only", 405, "does not accept that kind of request"),
    ],
)
def test_http_errors_are_friendly(
    app: Flask, method: str, path: str, status: int, phrase: str
) -> None:
    response = getattr(app.test_client(), method)(path)
    assert response.status_code == status
    text = response.get_data(as_text=True)
    assert phrase in text
    assert '<a class="button" href="/">' in text
    assert_no_traceback(text)
    if status == 405:
        assert "POST" in response.headers["Allow"]


def test_a_broken_layout_falls_back_to_a_plain_error_page(tmp_path: Path) -> None:
    from fedlend.web import make_app

    def broken_badge() -> None:
        raise AssertionError("never shown")

    app = make_app(
        "tests.apps", title="T", slug="t", test_config={"DATA_DIR": tmp_path}, badge=broken_badge
    )
    app.jinja_env.globals["csrf_token"] = lambda: 1 / 0  # the layout itself now raises
    response = app.test_client().get("/missing")
    assert response.status_code == 404
    assert "There is nothing at this address" in response.get_data(as_text=True)
    assert_no_traceback(response.get_data(as_text=True))


# --- uploads -----------------------------------------------------------------------------
def test_oversize_upload_gets_a_clear_413(tmp_path: Path) -> None:
    app = probe_app("owner", tmp_path, MAX_CONTENT_LENGTH=1 << 20)
    client = app.test_client()
    token = csrf_token(client)
    data = {"csrf_token": token, "file": (io.BytesIO(b"x" * ((1 << 20) + 1)), "loans.csv")}
    response = client.post("/_probe/upload", data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "larger than this app&#39;s limit of 1 MiB" in text
    assert_no_traceback(text)


def test_upload_under_the_limit_is_accepted(tmp_path: Path) -> None:
    app = probe_app("owner", tmp_path, MAX_CONTENT_LENGTH=1 << 20)
    client = app.test_client()
    data = {"csrf_token": csrf_token(client), "file": (io.BytesIO(b"x" * 1000), "loans.csv")}
    response = client.post("/_probe/upload", data=data, content_type="multipart/form-data")
    assert response.get_data(as_text=True) == "got 1000 bytes"


def test_upload_limit_defaults_to_64_mib_and_reads_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert build_app("lender", tmp_path / "a").config["MAX_CONTENT_LENGTH"] == 64 << 20
    monkeypatch.setenv("FEDLEND_MAX_UPLOAD_MB", "200")
    assert build_app("lender", tmp_path / "b").config["MAX_CONTENT_LENGTH"] == 200 << 20


@pytest.mark.parametrize("value", ["lots", "-1", "0", "1.5"])
def test_bad_upload_limit_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("FEDLEND_MAX_UPLOAD_MB", value)
    with pytest.raises(ConfigError, match="FEDLEND_MAX_UPLOAD_MB must be a whole number"):
        build_app("lender", tmp_path)


# --- headers, flashes, layout ------------------------------------------------------------
@pytest.mark.parametrize(
    "path", ["/", "/healthz", "/_web/static/fedlend.css", "/no/such/page", "/_probe/raise/zero"]
)
def test_security_headers_on_every_response(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_pages_have_no_inline_script_or_style(app: Flask) -> None:
    for path in ("/", "/_probe/form", "/no/such/page", "/_probe/raise/runtime"):
        html = app.test_client().get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), path
        assert " style=" not in html, path
        assert "<style" not in html, path
        assert "http://" not in html.replace("http://127.0.0.1", ""), path  # no CDN


def test_each_app_has_its_own_session_cookie(tmp_path: Path) -> None:
    names = set()
    for which in ("lender", "owner"):
        response = build_app(which, tmp_path / which).test_client().get("/")
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        names.add(cookie.split("=", 1)[0])
    assert names == {"fedlend_lender_session", "fedlend_owner_session"}


def test_flash_messages_render_in_the_layout(app: Flask) -> None:
    from flask import flash

    @app.get("/_flash")
    def flashing() -> str:
        flash("Bounty posted", "success")
        flash("<b>odd</b> category", "weird")
        return render_template_string('{% extends "base.html" %}')

    html = app.test_client().get("/_flash").get_data(as_text=True)
    assert '<p class="flash flash-success">Bounty posted</p>' in html
    assert '<p class="flash flash-info">&lt;b&gt;odd&lt;/b&gt; category</p>' in html


def test_nav_and_badge_slots(tmp_path: Path) -> None:
    from fedlend.web import Badge, make_app

    calls: Iterator[Badge | Exception] = iter(
        [Badge("0x1234…abcd", "chain 31337", "ok"), FedlendError("RPC down: start Anvil")]
    )

    def badge() -> Badge:
        item = next(calls)
        if isinstance(item, Exception):
            raise item
        return item

    app = make_app(
        "tests.apps",
        title="Probe",
        slug="probe",
        test_config={"DATA_DIR": tmp_path},
        nav=[("web.healthz", "Health"), ("no.such", "Broken")],
        badge=badge,
    )
    app.add_url_rule("/", "index", lambda: render_template_string('{% extends "base.html" %}'))
    html = app.test_client().get("/").get_data(as_text=True)
    assert '<a href="/healthz">Health</a>' in html
    assert "Broken" not in html
    assert 'class="badge badge-ok" title="chain 31337"' in html
    assert "0x1234…abcd" in html
    html = app.test_client().get("/").get_data(as_text=True)
    assert 'class="badge badge-error" title="RPC down: start Anvil"' in html


def test_healthz_names_the_app(app: Flask) -> None:
    body = json_body(app.test_client().get("/healthz"))
    assert body["status"] == "ok"
    assert body["app"] == app.config["APP_SLUG"]
