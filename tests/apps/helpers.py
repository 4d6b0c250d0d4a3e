"""Helpers for app tests: build an app on a temp data dir, fetch a CSRF token like a browser."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import lender_app
import owner_app
from fedlend.web.db import Database

FACTORIES = {"lender": lender_app.create_app, "owner": owner_app.create_app}
_META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
TRACEBACK_MARKERS = ("Traceback", 'File "', "site-packages", "werkzeug.exceptions", '.py", line')


def build_app(which: str, data_dir: Path, **config: Any) -> Flask:
    """The real lender or owner app on `data_dir`, CSRF on, TESTING on, plus `config`."""
    test_config: dict[str, Any] = {"TESTING": True, "DATA_DIR": data_dir}
    test_config.update(config)
    return FACTORIES[which](test_config)


def csrf_token(
    client: FlaskClient, path: str = "/", *, headers: dict[str, str] | None = None
) -> str:
    """GET `path` and return the CSRF token the page carries (as a browser would see it)."""
    response = client.get(path, headers=headers or {})
    assert response.status_code == 200, response.status_code
    match = _META_TOKEN.search(response.get_data(as_text=True))
    assert match, "the page has no csrf-token meta tag"
    return match.group(1)


def assert_no_traceback(text: str) -> None:
    """Fail if a page leaks anything that looks like a Python stack trace."""
    for marker in TRACEBACK_MARKERS:
        assert marker not in text, f"page leaks {marker!r}"


def found(pattern: str, text: str, flags: int = 0) -> re.Match[str]:
    """re.search that fails the test, naming the pattern, when nothing matches."""
    match = re.search(pattern, text, flags)
    if match is None:
        pytest.fail(f"{pattern!r} not found in the page ({len(text)} characters)")
    return match


def json_body(response: TestResponse) -> dict[str, Any]:
    """A response's JSON object; fails the test if the body is not one."""
    body = response.get_json(silent=True)
    if not isinstance(body, dict):
        pytest.fail(f"expected a JSON object, got {response.status} {response.get_data()[:200]!r}")
    return body


def one_row(db: Database, sql: str, params: tuple[object, ...] = ()) -> sqlite3.Row:
    """The single row a query must return; fails the test if there is none."""
    row = db.query_one(sql, params)
    if row is None:
        pytest.fail(f"no row for {sql!r} {params!r}")
    return row
