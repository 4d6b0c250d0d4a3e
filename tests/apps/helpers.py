"""Helpers for app tests: build an app on a temp data dir, fetch a CSRF token like a browser."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

import lender_app
import owner_app

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
