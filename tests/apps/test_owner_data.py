"""Owner app, My data: uploads checked against a real bounty's spec; bad files refused clearly."""

from __future__ import annotations

import gzip
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from fedlend.storage import sqlite
from fedlend.web.errorpages import CSRF_MESSAGE
from tests.apps.helpers import assert_no_traceback, build_app, csrf_token
from tests.market import Market, PostBounty

LIMIT = 256 << 10  # a small upload limit so the over-limit case stays cheap


@pytest.fixture(scope="module")
def model_id(posted: PostBounty) -> int:
    return posted().model_id


@pytest.fixture
def app(market: Market, tmp_path: Path) -> Iterator[Flask]:
    flask_app = build_app(
        "owner", tmp_path / "owner", FEDLEND_SETTINGS=market.settings(1), MAX_CONTENT_LENGTH=LIMIT
    )
    yield flask_app
    flask_app.extensions["fedlend_jobs"].shutdown()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="module")
def small_csv(loan_csvs: dict[str, bytes]) -> bytes:
    """The first 300 of owner1's loans (under the test upload limit)."""
    return b"\n".join(loan_csvs["owner1"].split(b"\n")[:301]) + b"\n"


def upload(
    client: FlaskClient, data: bytes, *, name: str = "loans.csv", model: int | None = None
) -> TestResponse:
    form: dict[str, object] = {
        "csrf_token": csrf_token(client, "/data/"),
        "file": (io.BytesIO(data), name),
    }
    if model is not None:
        form["model"] = str(model)
    return client.post("/data/", data=form, content_type="multipart/form-data")


def text(response: TestResponse) -> str:
    body = response.get_data(as_text=True)
    assert_no_traceback(body)
    return html.unescape(body)


def kept_files(app: Flask) -> list[Path]:
    return sorted(Path(app.config["DATA_DIR"]).glob("*/data/*.csv"))


def edit_cell(data: bytes, column: str, row: int, value: str) -> bytes:
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    frame.loc[row, column] = value
    return frame.to_csv(index=False).encode()


def test_a_good_csv_is_checked_against_the_model_and_kept_locally(
    app: Flask, client: FlaskClient, model_id: int, small_csv: bytes
) -> None:
    response = upload(client, small_csv, name="../../etc/my loans.csv", model=model_id)
    assert response.status_code == 302
    sha = re.search(r"/data/([0-9a-f]{64})\?model=(\d+)", response.headers["Location"])
    assert sha
    assert int(sha.group(2)) == model_id
    [path] = kept_files(app)
    assert path.read_bytes() == small_csv
    assert path.name == f"{sha.group(1)}.csv"
    page = text(client.get(response.headers["Location"]))
    frame = pd.read_csv(io.BytesIO(small_csv))
    assert "<h1>my loans.csv</h1>" in page  # the display name only, never a path
    assert "data-rows>300<" in page
    assert f"{100 * frame['default'].mean():.1f}%" in page
    assert "data-verdict>usable<" in page
    assert f"for model #{model_id}" in page
    for column in ("annual_inc", "int_rate", "default"):
        assert f'data-column="{column}"' in page
    listing = text(client.get("/data/"))
    assert sha.group(1) in listing
    assert "my loans.csv" in listing


def test_a_gzipped_csv_reads_the_same(app: Flask, client: FlaskClient, small_csv: bytes) -> None:
    response = upload(client, gzip.compress(small_csv), name="loans.csv.gz")
    assert response.status_code == 302
    assert "data-rows>300<" in text(client.get(response.headers["Location"]))
    assert len(kept_files(app)) == 1


@pytest.mark.parametrize(
    ("case", "status", "messages"),
    [
        ("wrong-columns", 422, ["Missing required columns", "default", "annual_inc"]),
        ("text-in-numeric", 422, ["annual_inc", "lots of money", "line 7", "malformed"]),
        ("bad-outcome", 422, ["default", "maybe", "line 3"]),
        ("empty", 400, ["the file is empty"]),
        ("blank-lines", 400, ["the file is empty"]),
        ("binary", 400, ["not CSV text"]),
        ("not-utf8", 400, ["not UTF-8"]),
        ("header-only", 400, ["header but no loans"]),
        ("one-column", 400, ["fewer than two columns"]),
        ("corrupt-gzip", 400, ["gzip file is corrupt"]),
        ("over-limit", 413, ["larger than this app's limit"]),
    ],
)
def test_malformed_uploads_get_a_clear_message_and_nothing_is_kept(
    app: Flask,
    client: FlaskClient,
    model_id: int,
    small_csv: bytes,
    case: str,
    status: int,
    messages: list[str],
) -> None:
    data = {
        "wrong-columns": b"a,b\n1,2\n3,4\n",
        "text-in-numeric": edit_cell(small_csv, "annual_inc", 5, "lots of money"),
        "bad-outcome": edit_cell(small_csv, "default", 1, "maybe"),
        "empty": b"",
        "blank-lines": b"\n\n  \n",
        "binary": bytes(range(256)) * 8,
        "not-utf8": "loan_amnt,default\n5000,0\nmünchen,1\n".encode("latin-1"),
        "header-only": small_csv.split(b"\n")[0] + b"\n",
        "one-column": b"default\n0\n1\n",
        "corrupt-gzip": gzip.compress(small_csv)[:200],
        "over-limit": small_csv * (LIMIT // len(small_csv) + 1),
    }[case]
    response = upload(client, data, model=model_id)
    assert response.status_code == status
    page = text(response)
    for message in messages:
        assert message in page
    assert kept_files(app) == []
    assert "data-empty" in text(client.get("/data/"))


def test_every_bad_required_column_is_named(
    client: FlaskClient, model_id: int, small_csv: bytes
) -> None:
    bad = edit_cell(small_csv, "dti", 0, "n/a")
    frame = pd.read_csv(io.BytesIO(bad), dtype=str, keep_default_na=False)
    data = frame.drop(columns=["annual_inc", "grade"]).to_csv(index=False).encode()
    page = text(upload(client, data, model=model_id))
    missing = re.search(r"Missing required columns: <strong>([^<]+)</strong>", page)
    assert missing
    assert set(missing.group(1).split(", ")) == {"annual_inc", "grade"}
    assert re.search(r'data-column="dti">.*?malformed.*?n/a.*?line 2', page, re.S)
    assert "Nothing was kept" in page


def test_without_a_model_only_the_outcome_column_is_required(
    client: FlaskClient, small_csv: bytes
) -> None:
    refused = upload(client, b"loan_amnt,grade\n5000,A\n")
    assert refused.status_code == 422
    assert "Missing required columns: <strong>default</strong>" in text(refused)
    kept = upload(client, small_csv)
    page = text(client.get(kept.headers["Location"]))
    assert "checked without a model" in page
    assert 'data-column="default"' in page
    assert 'data-column="annual_inc"' not in page


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("forged-token", CSRF_MESSAGE),
        ("no-file", "Choose a CSV file"),
        ("no-filename", "Choose a CSV file"),
        ("bad-model", "'abc' is not a model id"),
    ],
)
def test_incomplete_or_forged_upload_forms_are_refused(
    app: Flask, client: FlaskClient, small_csv: bytes, case: str, message: str
) -> None:
    token = csrf_token(client, "/data/")
    file = (io.BytesIO(small_csv), "loans.csv")
    form = {
        "forged-token": {"csrf_token": "forged", "file": file},
        "no-file": {"csrf_token": token},
        "no-filename": {"csrf_token": token, "file": (io.BytesIO(small_csv), "")},
        "bad-model": {"csrf_token": token, "file": file, "model": "abc"},
    }[case]
    response = client.post("/data/", data=form, content_type="multipart/form-data")
    assert response.status_code == 400
    assert message in text(response)
    assert kept_files(app) == []


def kept_sha(client: FlaskClient, data: bytes) -> str:
    response = upload(client, data)
    assert response.status_code == 302, text(response)
    return response.headers["Location"].split("/data/")[1].split("?")[0]


def test_a_kept_dataset_is_rechecked_against_any_model(
    client: FlaskClient, model_id: int, small_csv: bytes
) -> None:
    sha = kept_sha(client, small_csv)
    page = text(client.get(f"/data/{sha}?model={model_id}"))
    assert 'data-column="annual_inc"' in page
    assert "data-verdict>usable<" in page
    page = text(client.get(f"/data/{sha}?model=999"))
    assert "Could not check against model #999: model 999 does not exist" in page
    assert "checked without a model" in page
    assert client.get(f"/data/{sha}?model=abc").status_code == 400


def test_a_damaged_dataset_record_hides_only_itself_and_says_why(
    app: Flask, client: FlaskClient, small_csv: bytes
) -> None:
    good = kept_sha(client, small_csv)
    smaller = b"\n".join(small_csv.split(b"\n")[:201]) + b"\n"
    bad = kept_sha(client, smaller)
    [path] = Path(app.config["DATA_DIR"]).glob("*/owner.sqlite")
    db = sqlite.connect(path)
    db.execute("UPDATE datasets SET rows = 'many' WHERE sha256 = ?", (bad,))
    db.close()
    listing = client.get("/data/")
    assert listing.status_code == 200
    assert good in text(listing)
    assert bad not in text(listing)  # the others still list
    damaged = client.get(f"/data/{bad}")
    assert damaged.status_code == 500
    assert f"the local datasets record '{bad}' is damaged: its rows is 'many'" in text(damaged)
    assert "added again from its CSV" in text(damaged)
    assert kept_sha(client, smaller) == bad  # adding the CSV again mends the record
    assert "data-rows>200<" in text(client.get(f"/data/{bad}"))


@pytest.mark.parametrize("sha", ["0" * 64, "not-a-sha", "A" * 64])
def test_an_unknown_dataset_is_a_404(client: FlaskClient, sha: str) -> None:
    for response in (
        client.get(f"/data/{sha}"),
        client.post(f"/data/{sha}/budget", data={"csrf_token": csrf_token(client, "/data/")}),
    ):
        assert response.status_code == 404
        assert "not on this machine" in text(response) or "no such dataset" in text(response)


def budget_of(client: FlaskClient, sha: str) -> str:
    match = re.search(r"data-budget>([^<]+)<", text(client.get(f"/data/{sha}")))
    assert match
    return match.group(1)


def test_the_budget_can_be_changed(client: FlaskClient, small_csv: bytes) -> None:
    sha = kept_sha(client, small_csv)
    assert budget_of(client, sha) == "10"  # the ledger's default
    token = csrf_token(client, f"/data/{sha}")
    response = client.post(f"/data/{sha}/budget", data={"csrf_token": token, "budget": "2.5"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/data/{sha}"
    page = text(client.get(f"/data/{sha}"))
    assert "Budget for loans.csv set to ε 2.5; ε 2.5 remains." in page
    assert budget_of(client, sha) == "2.5"


@pytest.mark.parametrize("value", ["", "abc", "0", "-1", "nan", "inf", "1e9"])
def test_a_bad_budget_is_refused_and_changes_nothing(
    client: FlaskClient, small_csv: bytes, value: str
) -> None:
    sha = kept_sha(client, small_csv)
    token = csrf_token(client, f"/data/{sha}")
    form = {"csrf_token": token, "budget": value, "next": "//evil.example/x"}
    response = client.post(f"/data/{sha}/budget", data=form)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"  # no open redirect
    assert "the total budget must be a number from 0.05 to 1000" in text(client.get("/"))
    assert budget_of(client, sha) == "10"
