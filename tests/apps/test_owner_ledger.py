"""Issue 11: a deleted or corrupted privacy ledger is a clear refusal in the owner app, no 500."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from owner_app.connection import owner_service
from tests.apps.helpers import assert_no_traceback, build_app, csrf_token
from tests.market import *  # noqa: F403
from tests.market import Market


@pytest.fixture
def app(market: Market, tmp_path: Path) -> Iterator[Flask]:
    flask_app = build_app("owner", tmp_path / "owner", FEDLEND_SETTINGS=market.settings(9))
    yield flask_app
    flask_app.extensions["fedlend_jobs"].shutdown()


@pytest.mark.parametrize("fault", ["deleted", "corrupted"])
def test_a_lost_ledger_is_explained_on_every_privacy_page(
    app: Flask, loan_csvs: dict[str, bytes], fault: str
) -> None:
    client = app.test_client()
    form = {
        "csrf_token": csrf_token(client, "/data/"),
        "file": (io.BytesIO(loan_csvs["owner2"]), "owner2.csv"),
    }
    sha = (
        client.post("/data/", data=form, content_type="multipart/form-data")
        .headers["Location"]
        .split("/data/")[1]
        .split("?")[0]
    )
    assert client.get(f"/data/{sha}").status_code == 200
    with app.app_context():
        path = owner_service().ledger.path
    if fault == "deleted":
        for p in path.parent.glob(path.name + "*"):
            p.unlink()
    else:
        path.write_bytes(b"not a ledger any more " * 50)
    for page in (f"/data/{sha}", "/data/"):
        response = client.get(page)
        body = response.get_data(as_text=True)
        assert_no_traceback(body)
        assert response.status_code == 400, page
        assert "fedlend ledger rebuild" in body
        assert "missing" in body or "damaged" in body
    assert path.exists() == (fault == "corrupted")  # a deleted ledger is never re-created empty
