"""The lender app's new-bounty flow on a real Anvil and real loans: preview, validation, posting."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from markupsafe import escape

from fedlend.types import ModelStatus
from fedlend.web import JobState
from tests.apps.lender_support import (
    VALID_FIELDS,
    flashes,
    lender_app,
    page,
    post_bounty_form,
    wait_job,
)
from tests.market import Market

HOUR = 3600


def test_form_offers_every_choice_with_a_csrf_token(market: Market, tmp_path: Path) -> None:
    html = page(lender_app(market, tmp_path).test_client(), "/bounties/new")
    assert 'enctype="multipart/form-data"' in html
    assert 'name="csrf_token"' in html
    for name in (
        "csv",
        "title",
        "target",
        "bounty_eth",
        "deadline_hours",
        "deadline_at",
        "review_days",
    ):
        assert f'name="{name}"' in html, name
    for value in ("logreg", "mlp", "roc_auc", "accuracy", "own-data", "zero"):
        assert f'value="{value}"' in html, value
    assert "always says “no default” already scores about 0.86" in html


def test_preview_shows_the_deduced_spec_and_keeps_the_upload_private(
    market: Market, loan_csvs: dict[str, bytes], tmp_path: Path
) -> None:
    app = lender_app(market, tmp_path)
    response = post_bounty_form(app.test_client(), csv=loan_csvs["lender"], action="preview")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert 'id="spec-preview"' in html
    assert "<dd>1600</dd>" in html
    for column in ("int_rate", "grade", "annual_inc", "addr_state"):
        assert f'<td class="mono">{column}</td>' in html
    [upload] = re.findall(r'name="upload" value="([0-9a-f]{64})"', html)
    kept = tmp_path / "uploads" / f"{upload}.csv"
    assert kept.read_bytes() == loan_csvs["lender"]
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(kept.parent).st_mode) == 0o700
    default_rate = re.search(r"In your file ([\d.]+)% of loans default", html)
    assert default_rate
    assert 5 < float(default_rate.group(1)) < 30


CSV_PROBLEMS = [
    pytest.param(None, "Choose your validation CSV", id="missing-file"),
    pytest.param(b"", "the file is empty", id="empty-file"),
    pytest.param(b"\x00\x01\x02binary", "not CSV text", id="malformed-binary"),
    pytest.param(b"a;b;default\n1;2;0\n", "fewer than two columns", id="malformed-separator"),
    pytest.param(b"a,b\n1,2\n", "missing required column: default", id="wrong-columns"),
    pytest.param(b"loan_amnt,default\n100,0\n200,x\n", "must be 0 or 1", id="bad-labels"),
]


@pytest.mark.parametrize(("csv", "message"), CSV_PROBLEMS)
def test_bad_validation_csv_is_refused_with_its_reason(
    market: Market, tmp_path: Path, csv: bytes | None, message: str
) -> None:
    app = lender_app(market, tmp_path)
    count = app_model_count(app)
    response = post_bounty_form(app.test_client(), csv=csv)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert 'id="error-csv"' in html
    assert not app.extensions["fedlend_jobs"].recent(kind="post")
    assert app_model_count(app) == count


FIELD_PROBLEMS = [
    pytest.param({"target": "1.5"}, "target", "at most 1", id="target-above-1"),
    pytest.param({"target": "0"}, "target", "above 0", id="target-zero"),
    pytest.param({"target": "abc"}, "target", "plain number", id="target-not-a-number"),
    pytest.param({"target": "0.12345"}, "target", "four decimals", id="target-too-precise"),
    pytest.param({"target": ""}, "target", "Enter the target score", id="target-missing"),
    pytest.param({"bounty_eth": "0"}, "bounty_eth", "more than 0 ETH", id="zero-bounty"),
    pytest.param({"bounty_eth": "-2"}, "bounty_eth", "more than 0 ETH", id="negative-bounty"),
    pytest.param({"bounty_eth": "1e-19"}, "bounty_eth", "18 decimals", id="bounty-below-wei"),
    pytest.param({"bounty_eth": "1e999999"}, "bounty_eth", "sensible size", id="bounty-huge"),
    pytest.param({"bounty_eth": "100000000"}, "bounty_eth", "balance", id="bounty-over-balance"),
    pytest.param(
        {"deadline_mode": "date", "deadline_at": "2001-01-01T00:00"},
        "deadline",
        "in the past",
        id="past-deadline-date",
    ),
    pytest.param({"deadline_hours": "-3"}, "deadline", "in the past", id="past-deadline-hours"),
    pytest.param({"deadline_hours": "0.01"}, "deadline", "at least 5 minutes", id="too-soon"),
    pytest.param({"deadline_hours": "99999"}, "deadline", "within a year", id="too-far"),
    pytest.param({"review_days": "0.01"}, "review_days", "1 hour", id="review-too-short"),
    pytest.param({"review_days": "31"}, "review_days", "30 days", id="review-too-long"),
    pytest.param({"review_days": "soon"}, "review_days", "review period", id="review-not-a-number"),
    pytest.param(
        {"deadline_mode": "date", "deadline_at": "next tuesday"},
        "deadline",
        "date and time",
        id="unreadable-date",
    ),
    pytest.param({"title": ""}, "title", "title of 1 to 120", id="no-title"),
    pytest.param({"title": "x" * 121}, "title", "title of 1 to 120", id="long-title"),
    pytest.param({"model_kind": "svm"}, "model_kind", "Choose one of", id="unknown-model"),
    pytest.param({"metric": "f1"}, "metric", "Choose one of", id="unknown-metric"),
    pytest.param({"base_share": "95"}, "base_share", "between 10% and 90%", id="base-share"),
]


@pytest.mark.parametrize(("fields", "field", "message"), FIELD_PROBLEMS)
def test_bad_field_re_shows_the_form_with_a_clear_message(
    market: Market,
    loan_csvs: dict[str, bytes],
    tmp_path: Path,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    app = lender_app(market, tmp_path)
    response = post_bounty_form(
        app.test_client(), csv=loan_csvs["lender"], action="post", confirm=True, **fields
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = re.search(rf'id="error-{field}" role="alert">([^<]*)<', html)
    assert error, f"no error shown for {field}; expected {message!r}"
    assert message in error.group(1), (error.group(1), message)
    assert "fix the 1 problem marked below" in html
    for name, value in fields.items():  # what the user typed is shown again (not the choices)
        if name not in ("model_kind", "metric", "deadline_mode"):
            assert f'name="{name}"' in html, name
            assert f'value="{escape(value)}"' in html, name
    assert not app.extensions["fedlend_jobs"].recent(kind="post")


def test_posting_runs_in_the_background_and_escrows_the_exact_bounty(
    market: Market, loan_csvs: dict[str, bytes], tmp_path: Path
) -> None:
    app = lender_app(market, tmp_path)
    client = app.test_client()
    node = market.node(0)
    preview = post_bounty_form(client, csv=loan_csvs["lender"], action="preview")
    [upload] = re.findall(r'name="upload" value="([0-9a-f]{64})"', preview.get_data(as_text=True))
    before, chain_time = node.balance(), node.client.chain_time()

    response = post_bounty_form(client, upload=upload)  # no file again: the kept upload is used
    assert response.status_code == 302
    job_id = response.headers["Location"].rsplit("/", 1)[1]
    assert response.headers["Location"] == f"/bounties/posting/{job_id}"
    job = wait_job(app, job_id)
    assert job.state == JobState.DONE, job.error
    model_id = job.result["model_id"]
    assert job.result["redirect"] == f"/models/{model_id}"

    record = node.client.get_model(model_id)
    bounty_wei = 1_234_567_890_123_456_789
    assert record.bounty_wei == record.remaining_wei == bounty_wei
    assert record.lender == node.address
    assert record.status == ModelStatus.OPEN
    assert record.target_score == 7500
    assert 0 < record.initial_score < 7500
    assert chain_time + 24 * HOUR <= record.deadline <= chain_time + 24 * HOUR + 60
    assert record.review_period == 7 * 24 * HOUR  # the form's default review period
    receipt = node.client.w3.eth.get_transaction_receipt(job.result["tx_hash"])
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert node.balance() == before - bounty_wei - fee

    done = client.get(f"/bounties/posting/{job_id}")
    assert done.status_code == 302
    assert done.headers["Location"] == f"/models/{model_id}"
    html = page(client, f"/models/{model_id}")
    posted = f"Posted model #{model_id}: the bounty is escrowed on-chain."
    assert VALID_FIELDS["title"] in html
    assert ("success", posted) in flashes(html)
    assert "1.234567890123456789 ETH" in html
    assert not (tmp_path / "uploads" / f"{upload}.csv").exists()


def test_a_failed_post_says_why_and_the_form_comes_back_filled_in(
    market: Market, loan_csvs: dict[str, bytes], tmp_path: Path
) -> None:
    app = lender_app(market, tmp_path)
    client = app.test_client()
    count = app_model_count(app)
    response = post_bounty_form(client, csv=loan_csvs["lender"], target="0.5", title="Too easy")
    job = wait_job(app, response.headers["Location"].rsplit("/", 1)[1])
    assert job.state == JobState.FAILED
    assert "set a target above it" in (job.error or "")
    html = page(client, f"/bounties/posting/{job.id}")
    assert "set a target above it" in html
    assert f"/bounties/new?retry={job.id}" in html
    again = page(client, f"/bounties/new?retry={job.id}")
    assert 'value="Too easy"' in again
    assert 'value="0.5"' in again
    assert 'id="spec-preview"' in again  # the upload was kept: no need to choose the file again
    assert app_model_count(app) == count


def test_unknown_posting_job_is_a_404(market: Market, tmp_path: Path) -> None:
    html = page(lender_app(market, tmp_path).test_client(), "/bounties/posting/nope", status=404)
    assert "no job" in html


def app_model_count(app: object) -> int:
    """How many models this module's contract holds (straight from the chain)."""
    from lender_app.context import get_lender

    with app.app_context():  # type: ignore[attr-defined]
        return get_lender().node.client.model_count()
