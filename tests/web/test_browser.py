"""Both apps in real Chromium over a real socket: layout, CSP-clean JS, progress, chart, CSRF."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Blueprint, Flask, redirect, render_template_string, request
from flask.typing import ResponseReturnValue
from playwright.sync_api import Page, expect

from fedlend.web import JobRunner, get_jobs, line_chart_data
from tests.apps.helpers import build_app
from tests.browser_helpers import LiveServer, screenshot

pytestmark = pytest.mark.browser
WAIT_S = 10.0

probe = Blueprint("bprobe", __name__, url_prefix="/_probe")
PROBE_PAGE = """{% extends "base.html" %}
{% from "_macros.html" import csrf_field, job_progress, line_chart %}
{% block title %}Probe{% endblock %}
{% block content %}
<h1>Probe</h1>
<div class="card">{{ line_chart(chart, label="Validation AUC per round") }}</div>
{% for job in jobs %}{{ job_progress(job) }}{% endfor %}
<form method="post" action="/_probe/form" class="stack">
  {{ csrf_field() }}<label for="name">Name</label><input id="name" name="name" type="text">
  <button type="submit">Save</button>
</form>
{% endblock %}"""
CHART = line_chart_data(
    [f"round {i}" for i in range(1, 7)],
    {"candidate": [0.61, 0.63, 0.64, 0.66, 0.665, 0.67], "target": [0.68] * 6},
    y_label="AUC",
    x_label="round",
)


@probe.get("/page")
def probe_page() -> str:
    return render_template_string(PROBE_PAGE, chart=CHART, jobs=get_jobs().recent())


@probe.post("/form")
def probe_form() -> ResponseReturnValue:
    from flask import flash

    flash(f"Saved {request.form['name']}", "success")
    return redirect("/_probe/page")


def serve(which: str, tmp_path: Path, live_server: Callable[[Flask], LiveServer]) -> LiveServer:
    app = build_app(which, tmp_path / which, TESTING=False)
    app.register_blueprint(probe)
    return live_server(app)


@pytest.mark.parametrize("which", ["lender", "owner"])
def test_home_page_renders_cleanly(
    which: str,
    tmp_path: Path,
    page: Page,
    console_errors: list[str],
    live_server: Callable[[Flask], LiveServer],
) -> None:
    server = serve(which, tmp_path, live_server)
    response = page.goto(server.url("/"))
    assert response is not None
    assert response.status == 200
    expect(page).to_have_title(f"Home · fedlend · {which.capitalize()}")
    expect(page.locator("h1")).to_have_text("Lender" if which == "lender" else "Data owner")
    expect(page.locator("nav a.active")).to_have_text("Home")
    color = page.evaluate("getComputedStyle(document.querySelector('.topbar')).borderTopColor")
    assert color != "rgba(0, 0, 0, 0)"  # the stylesheet loaded under the CSP
    assert screenshot(page, f"{which}-home").stat().st_size > 5_000
    response = page.goto(server.url("/no/such/page"))
    assert response is not None
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    screenshot(page, f"{which}-404")
    assert console_errors == [
        "Failed to load resource: the server responded with a status of 404 (NOT FOUND)"
    ]


def test_progress_bar_polls_and_reloads_when_the_job_ends(
    tmp_path: Path,
    page: Page,
    console_errors: list[str],
    live_server: Callable[[Flask], LiveServer],
) -> None:
    server = serve("owner", tmp_path, live_server)
    step, release = threading.Event(), threading.Event()

    def job(progress: Callable[..., None], _cancelled: Callable[[], bool]) -> None:
        progress(0.1, "loading loans.csv")
        assert step.wait(WAIT_S)
        progress(0.6, "epoch 3 of 5")
        assert release.wait(WAIT_S)

    job_id = get_jobs_of(server).submit("train", job, title="Train model 1")
    page.goto(server.url("/_probe/page"))
    box = page.locator(f"#job-{job_id}")
    expect(box.locator("[data-job-message]")).to_have_text("loading loans.csv")
    step.set()  # the page is not reloaded: only jobs.js can show the new state
    expect(box.locator("[data-job-message]")).to_have_text("epoch 3 of 5")
    assert box.locator("progress").evaluate("el => el.value") == pytest.approx(0.6)
    expect(box.locator("[data-job-state]")).to_have_text("running")
    screenshot(page, "owner-job-running")
    with page.expect_navigation():
        release.set()  # jobs.js sees "done" and reloads the page
    expect(box.locator("[data-job-state]")).to_have_text("done")
    assert box.get_attribute("data-job-url") is None  # no more polling after the reload
    assert box.locator("progress").evaluate("el => el.value") == 1
    assert console_errors == []


def test_cancel_button_stops_a_running_job(
    tmp_path: Path, page: Page, live_server: Callable[[Flask], LiveServer]
) -> None:
    server = serve("lender", tmp_path, live_server)
    started = threading.Event()

    def endless(progress: Callable[..., None], _cancelled: Callable[[], bool]) -> None:
        started.set()
        for i in range(10_000):
            progress(i / 10_000, f"update {i}")
            threading.Event().wait(0.01)

    job_id = get_jobs_of(server).submit("evaluate", endless, title="Evaluate updates")
    assert started.wait(WAIT_S)
    page.goto(server.url("/"))
    page.locator(f"#job-{job_id} button", has_text="Cancel").click()
    expect(page.locator(".flash")).to_contain_text("Evaluate updates")
    expect(page.locator(f"#job-{job_id} [data-job-state]")).to_have_text("cancelled")
    assert get_jobs_of(server).get(job_id).state == "cancelled"


def test_chart_draws_under_the_csp_and_a_csrf_form_posts(
    tmp_path: Path,
    page: Page,
    console_errors: list[str],
    live_server: Callable[[Flask], LiveServer],
) -> None:
    server = serve("lender", tmp_path, live_server)
    page.goto(server.url("/_probe/page"))
    canvas = page.locator("canvas[data-chart]")
    expect(canvas).to_have_attribute("data-chart-ready", "1")
    points = page.evaluate(
        "() => Chart.getChart(document.querySelector('canvas[data-chart]')).data.datasets"
        ".map(d => d.data.length)"
    )
    assert points == [6, 6]
    box = canvas.bounding_box()
    assert box is not None
    assert box["height"] > 200
    screenshot(page, "lender-chart")
    page.fill("#name", "alice")
    page.click("button[type=submit]")
    expect(page.locator(".flash-success")).to_have_text("Saved alice")
    assert console_errors == []


def test_live_server_refuses_a_rebound_host(
    tmp_path: Path, live_server: Callable[[Flask], LiveServer]
) -> None:
    server = serve("lender", tmp_path, live_server)
    for host, status in (("evil.com", 400), (f"attacker:{server.port}", 400), (None, 200)):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT_S)
        headers = {"Host": host} if host else {}
        conn.request("GET", "/healthz", headers=headers)
        assert conn.getresponse().status == status, host
        conn.close()


def get_jobs_of(server: LiveServer) -> JobRunner:
    with server.app.app_context():
        return get_jobs()
