"""The lender app's borrower desk on a real Anvil and store: one application, a batch, policy."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from fedlend.services.lender import PostedModel
from fedlend.storage.cid import digest_to_cid
from tests.apps.helpers import assert_no_traceback, csrf_token
from tests.apps.lender_support import charts, lender_app, page
from tests.market import *  # noqa: F403  (the market fixtures)
from tests.market import Market


@pytest.fixture(scope="module")
def model(posted: Callable[..., PostedModel]) -> PostedModel:
    return posted(target=0.95)


@pytest.fixture(scope="module")
def app(market: Market, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return lender_app(market, tmp_path_factory.mktemp("desk-app"))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="module")
def applications(loan_csvs: dict[str, bytes]) -> pd.DataFrame:
    frame = pd.read_csv(io.BytesIO(loan_csvs["owner1"]), dtype=str, keep_default_na=False)
    return frame.drop(columns=["default"]).head(60)


def _post(client: FlaskClient, path: str, data: dict, **kw: object) -> TestResponse:
    data = {"csrf_token": csrf_token(client, "/"), **data}
    return client.post(path, data=data, **kw)


def test_the_form_is_generated_from_the_spec(client: FlaskClient, model: PostedModel) -> None:
    html = page(client, f"/models/{model.model_id}/desk")
    assert '<select id="f-grade" name="grade">' in html
    assert '<option value="B"' in html
    assert 'type="month" id="f-earliest_cr_line"' in html
    assert 'type="number" step="any" id="f-annual_inc"' in html
    assert model.weights_digest.hex()[:16] in html
    assert "exact logit contributions" in html


def test_one_application_gets_pd_decision_apr_and_reasons(
    client: FlaskClient, model: PostedModel, applications: pd.DataFrame
) -> None:
    fields = applications.iloc[0].to_dict()
    response = _post(client, f"/models/{model.model_id}/desk/one", fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:1000]
    assert 'id="single-pd"' in html
    assert 'id="single-apr"' in html
    reasons = html.split('id="single-reasons">')[1].split("</ul>")[0]
    assert reasons.count("<li>") >= 2
    assert " the risk " in reasons
    assert model.weights_digest.hex() in html


@pytest.mark.parametrize(
    ("address", "shown", "absent"),
    [
        (
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
            'id="borrower-signal"',
            'id="borrower-error"',
        ),
        (
            "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
            'id="borrower-signal"',
            'id="borrower-error"',
        ),
        (
            "0x70997970C51812DC3a010C7d01b50e0d17dc79C8",
            "fails its checksum",
            'id="borrower-signal"',
        ),
        ("0x1234", "is not an Ethereum address", 'id="borrower-signal"'),
        ("", 'id="single-pd"', 'id="borrower-'),
    ],
)
def test_the_applicants_address_shows_its_on_chain_signals_beside_the_decision(
    client: FlaskClient,
    model: PostedModel,
    applications: pd.DataFrame,
    address: str,
    shown: str,
    absent: str,
) -> None:
    fields = {**applications.iloc[0].to_dict(), "borrower_address": address}
    response = _post(client, f"/models/{model.model_id}/desk/one", fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:1000]
    assert_no_traceback(html)
    assert 'id="single-pd"' in html  # a bad address never costs the decision
    assert shown in html
    assert absent not in html
    if "borrower-signal" in shown:
        assert "data-signal-level=" in html.split('id="borrower-signal"')[1].split("</p>")[0]


def test_a_batch_is_scored_row_by_row_and_downloads_as_csv(
    client: FlaskClient, model: PostedModel, applications: pd.DataFrame
) -> None:
    bad = applications.copy()
    bad.loc[4, "annual_inc"] = "a lot"
    bad.loc[7, "grade"] = "Q"
    upload = (io.BytesIO(bad.to_csv(index=False).encode()), "apps.csv")
    response = _post(
        client,
        f"/models/{model.model_id}/desk/batch",
        {"applications": upload},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:1000]
    assert_no_traceback(html)
    assert "annual_inc must be a number, not &#39;a lot&#39;" in html
    assert "not a category the model knows" in html
    assert 'id="drift"' in html
    link = html.split('id="download-csv" href="')[1].split('"')[0]
    download = client.get(link)
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert len(rows) == 60
    assert rows[4]["decision"] == "refused"
    assert rows[7]["decision"] in ("refer", "decline")
    assert {r["weights_sha256"] for r in rows} == {model.weights_digest.hex()}
    assert {r["model"] for r in rows} == {f"model #{model.model_id}"}
    assert client.get(f"/models/{model.model_id}/desk/batch/{'0' * 32}.csv").status_code == 404


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x01binary", "not CSV text"),
        (b"a,b\n1,2\n", "none of the model&#39;s columns"),
        (b"", "Choose a CSV"),
    ],
)
def test_bad_uploads_are_refused_with_a_message(
    client: FlaskClient, model: PostedModel, content: bytes, message: str
) -> None:
    response = _post(
        client,
        f"/models/{model.model_id}/desk/batch",
        {"applications": (io.BytesIO(content), "apps.csv" if content else "")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400, html[:2000]
    assert message in html, html[:2000]
    assert_no_traceback(html)


def test_the_policy_is_set_from_the_tradeoffs_and_saved_per_model(
    client: FlaskClient, model: PostedModel
) -> None:
    path = f"/models/{model.model_id}/policy"
    html = page(client, path)
    assert 'id="tradeoffs"' in html
    assert "(defaults, not saved yet)" in html
    assert charts(html)[0]["datasets"][0]["label"] == "approval rate"
    fields = {"approve_below": "8", "decline_from": "20", "cost_of_funds": "5", "lgd": "50"}
    assert _post(client, path, {**fields, "margin": "2"}).status_code == 302
    html = page(client, path)
    assert "(defaults" not in html
    assert 'value="8"' in html
    assert "LGD 50%" in html
    assert "approve below PD 8 %" in page(client, f"/models/{model.model_id}/desk")
    bad = _post(client, path, {**fields, "approve_below": "30", "margin": "2"})
    assert bad.status_code == 400
    assert "cutoffs must satisfy" in bad.get_data(as_text=True)


def test_the_model_page_shows_roc_calibration_histogram_and_importance(
    client: FlaskClient, model: PostedModel
) -> None:
    html = page(client, f"/models/{model.model_id}")
    labels = [c["datasets"][0]["label"] for c in charts(html)]
    assert any(label.startswith("model (ROC-AUC") for label in labels)
    assert "actual default rate" in labels
    assert "share of loans" in labels
    assert 'id="importance"' in html
    assert "<meter" in html


def test_weights_that_do_not_match_the_chain_are_refused(
    market: Market, posted: Callable[..., PostedModel], client: FlaskClient
) -> None:
    # weights no earlier test read: the app caches verified blobs by CID (GuardedStore), so a
    # block corrupted on disk after a read is never read again
    other = posted(target=0.95, base_fraction=0.37)
    store = market.node(0).store
    block = Path(store.blocks) / digest_to_cid(other.weights_digest)  # type: ignore[attr-defined]
    block.write_bytes(block.read_bytes()[:-4] + b"\x00\x00\x80\x7f")
    response = client.get(f"/models/{other.model_id}/desk")
    html = response.get_data(as_text=True)
    assert response.status_code >= 400
    assert "score-one" not in html
    assert "hash" in html or "do not match" in html, html[:2000]
    assert_no_traceback(html)


def test_two_models_blend_side_by_side_and_score_one_application(
    client: FlaskClient,
    model: PostedModel,
    posted: Callable[..., PostedModel],
    applications: pd.DataFrame,
) -> None:
    mlp = posted(target=0.95, model_kind="mlp")
    path = f"/models/{model.model_id}/blend"
    html = page(client, f"{path}?with={mlp.model_id}")
    assert 'id="blend-result"' in html
    assert 'id="blend-verdict"' in html
    row = html.split("<td>ROC-AUC</td>")[1].split("</tr>")[0]
    assert row.count("0.") >= 3  # both models and the blend, side by side
    fields = {**applications.iloc[1].to_dict(), "with": str(mlp.model_id)}
    response = _post(client, f"{path}/one", fields)
    text = response.get_data(as_text=True)
    assert response.status_code == 200, text[:1000]
    assert 'id="blend-pd"' in text
    assert f"model #{mlp.model_id} (weight" in text
    same = client.get(f"{path}?with={model.model_id}")
    assert same.status_code == 400
    assert "two different models" in same.get_data(as_text=True)
