"""Static assets are served by the app itself (no CDN): Chart.js from node_modules, CSS, JS."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask, render_template_string

from fedlend.errors import FedlendError
from fedlend.web import line_chart_data
from fedlend.web.shared import CHART_JS
from tests.apps.helpers import build_app


@pytest.fixture(params=["lender", "owner"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Flask:
    return build_app(request.param, tmp_path)


def test_chart_js_is_served_locally(app: Flask) -> None:
    response = app.test_client().get("/_web/vendor/chart.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    body = response.get_data()
    assert body == CHART_JS.read_bytes()
    assert b"Chart.js v4.6.1" in body[:300]


@pytest.mark.parametrize(
    ("name", "mimetype", "marker"),
    [
        ("fedlend.css", "text/css", b".topbar"),
        ("jobs.js", "text/javascript", b"data-job-url"),
        ("charts.js", "text/javascript", b"data-chart"),
    ],
)
def test_shared_static_files(app: Flask, name: str, mimetype: str, marker: bytes) -> None:
    response = app.test_client().get(f"/_web/static/{name}")
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert marker in response.get_data()


def test_every_asset_the_layout_links_resolves(app: Flask) -> None:
    import re

    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    urls = re.findall(r'(?:src|href|data-chartjs-url)="(/[^"]+)"', html)
    assert len(urls) >= 4
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_missing_chart_js_is_a_clear_404(tmp_path: Path) -> None:
    app = build_app("lender", tmp_path, CHART_JS_PATH=str(tmp_path / "absent.js"))
    response = app.test_client().get("/_web/vendor/chart.js")
    assert response.status_code == 404
    assert "run `make setup`" in response.get_data(as_text=True)


def test_line_chart_macro_embeds_escaped_json(app: Flask) -> None:
    data = line_chart_data(
        ["round 1", "round 2", "<3>"],
        {"AUC": [0.61, 0.64, None], "it's": [0.5, float("nan"), 0.55]},
        y_label="AUC",
    )
    with app.test_request_context("/"):
        html = render_template_string(
            '{% from "_macros.html" import line_chart %}{{ line_chart(data, label="AUC") }}',
            data=data,
        )
    attr = html.split("data-chart-data='")[1].split("'")[0]
    assert "<" not in attr
    assert "'" not in attr  # safe inside a single-quoted attribute
    import json

    assert json.loads(attr.replace("&#34;", '"')) == data
    assert data["datasets"][1]["data"] == [0.5, None, 0.55]
    assert "<td>round 1</td><td>0.61</td><td>0.5</td>" in html.replace("\n", "")


def test_line_chart_data_needs_one_value_per_label() -> None:
    with pytest.raises(FedlendError, match="one value per label"):
        line_chart_data(["a", "b"], {"AUC": [0.5]})
