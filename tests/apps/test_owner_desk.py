"""The owner app's model check: a finished model's PDs against the owner's own outcomes."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sklearn.metrics import roc_auc_score
from werkzeug.test import TestResponse

from desk.applications import prepare
from fedlend.services.lender import PostedModel
from fl.data import load_loans
from fl.weights import weights_from_bytes
from tests.apps.helpers import assert_no_traceback, build_app, csrf_token
from tests.market import *  # noqa: F403  (the market fixtures)
from tests.market import Market

HOUR = 3600


@pytest.fixture(scope="module")
def finished(
    posted: Callable[..., PostedModel], advance_time: Callable[[int], int]
) -> tuple[PostedModel, PostedModel]:
    done = posted(target=0.95, duration=HOUR)
    advance_time(2 * HOUR)
    still_open = posted(target=0.95)
    return done, still_open


@pytest.fixture
def client(market: Market, tmp_path: Path, loan_csvs: dict[str, bytes]) -> FlaskClient:
    app = build_app("owner", tmp_path / "owner", FEDLEND_SETTINGS=market.settings(1))
    client = app.test_client()
    token = csrf_token(client, "/data/")
    upload = {"csrf_token": token, "file": (io.BytesIO(loan_csvs["owner1"]), "mine.csv")}
    response = client.post("/data/", data=upload, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    return client


def _check(client: FlaskClient, model: str, dataset: str) -> TestResponse:
    data = {"csrf_token": csrf_token(client, "/check/"), "model": model, "dataset": dataset}
    return client.post("/check/", data=data)


def test_only_finished_models_are_offered(
    client: FlaskClient, finished: tuple[PostedModel, PostedModel]
) -> None:
    done, still_open = finished
    html = client.get("/check/").get_data(as_text=True)
    assert f'<option value="{done.model_id}"' in html
    assert f'<option value="{still_open.model_id}"' not in html


def test_the_check_matches_an_independent_computation(
    client: FlaskClient,
    finished: tuple[PostedModel, PostedModel],
    market: Market,
    loan_csvs: dict[str, bytes],
) -> None:
    done, _ = finished
    sha = hashlib.sha256(loan_csvs["owner1"]).hexdigest()
    response = _check(client, str(done.model_id), sha)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:2000]
    node = market.node(1)
    record = node.client.get_model(done.model_id)
    spec = node.spec_of(record)
    weights = weights_from_bytes(node.get(record.weights), spec)
    from fl.models import predict_proba

    frame = load_loans(loan_csvs["owner1"])
    prepared = prepare(spec, frame)
    assert prepared.encoded is not None
    y = frame["default"].astype(float).to_numpy()[prepared.scorable_index]
    auc = roc_auc_score(y, predict_proba(spec, weights, prepared.encoded.X))
    assert f'id="owner-auc">{auc:.4f}<' in html
    assert record.weights.hex() in html
    assert "your actual default rate" in html


@pytest.mark.parametrize(
    ("model", "dataset", "message"),
    [
        ("", "", "pick a model and one of your datasets"),
        ("open", "0" * 64, "is not finished"),
        ("done", "f" * 64, "that dataset is not on this machine"),
    ],
)
def test_bad_choices_are_refused_with_a_message(
    client: FlaskClient,
    finished: tuple[PostedModel, PostedModel],
    model: str,
    dataset: str,
    message: str,
) -> None:
    done, still_open = finished
    ids = {"done": str(done.model_id), "open": str(still_open.model_id), "": ""}
    response = _check(client, ids[model], dataset)
    html = response.get_data(as_text=True)
    assert response.status_code in (400, 404), html[:2000]
    assert message in html, html[:2000]
    assert_no_traceback(html)
