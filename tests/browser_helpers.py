"""Browser tests' parts: a live werkzeug server in a thread and Debian Chromium via Playwright.

tests/conftest.py registers these fixtures for every folder (`pytest_plugins`); in a test marked
`@pytest.mark.browser`:

    server = live_server(create_app({"DATA_DIR": tmp_path}))
    page.goto(server.url("/"))
    screenshot(page, "lender-home")

Chromium comes from Debian (`make browser-deps`), never from `playwright install`; without
/usr/bin/chromium the browser fixture skips the test and says why, except in CI (the CI variable
set), where it fails it: CI never goes green without running the browser tests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from tests.ci import missing

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = ROOT / "test-artifacts"
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
NO_CHROMIUM = f"{CHROMIUM} is missing: run `make browser-deps` (apt-get install chromium)"


@dataclass
class LiveServer:
    """A Flask app served by werkzeug's threaded server on 127.0.0.1 in a daemon thread."""

    app: Flask
    server: BaseWSGIServer
    thread: threading.Thread = field(repr=False)

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return self.server.server_port

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port>"""
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        """The absolute URL of `path` on this server."""
        return self.base_url + path

    def stop(self) -> None:
        """Stop serving, close the socket and stop the app's job workers."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        jobs = self.app.extensions.get("fedlend_jobs")
        if jobs is not None:
            jobs.shutdown()


def start_live_server(app: Flask) -> LiveServer:
    """Serve `app` on a free 127.0.0.1 port; its PORT config is set so the Host check passes."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["PORT"] = server.server_port
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    return LiveServer(app=app, server=server, thread=thread)


def launch_chromium(playwright: object) -> Browser:
    """Debian's Chromium, headless, with the flags that keep it off the network."""
    return playwright.chromium.launch(  # type: ignore[attr-defined]
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG as test-artifacts/<name>.png (gitignored) and return its path."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.wait_for_load_state("load")
    try:
        page.screenshot(path=str(path), full_page=True, animations="disabled", timeout=30_000)
    except PlaywrightTimeoutError:  # a page that reloaded mid-capture (jobs.js) on a busy machine
        page.wait_for_load_state("load")
        page.screenshot(path=str(path), full_page=True, animations="disabled", timeout=60_000)
    return path


# --- fixtures (import them into a conftest.py) -------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module (module scope keeps Playwright's event loop contained)."""
    if not CHROMIUM.exists():
        missing(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page, laptop-sized."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Console errors and uncaught exceptions of `page` (CSP violations land here too)."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    return errors


@pytest.fixture
def live_server() -> Iterator[Callable[[Flask], LiveServer]]:
    """Start apps on live servers: `server = live_server(app)`; all stop after the test."""
    servers: list[LiveServer] = []

    def start(app: Flask) -> LiveServer:
        server = start_live_server(app)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def submit_if_asked(page: Page, *, then: str, timeout_ms: float) -> None:
    """Training whose own estimate got worse asks first (owner_app/review.py): "Submit anyway".

    Waits until either the question or `then` (what shows when nothing is asked) is visible."""
    question = page.locator("[data-job-question]")
    page.locator(f"[data-job-question], {then}").first.wait_for(state="visible", timeout=timeout_ms)
    if question.is_visible():
        question.get_by_role("button", name="Submit anyway").click()


@dataclass(frozen=True)
class BountyForm:
    """What a browser test types into the New bounty form (`base=None` keeps the default)."""

    title: str
    target: str = "0.80"
    bounty_eth: str = "1"
    deadline_hours: str = "24"
    base: str | None = "zero"


def fill_bounty_form(page: Page, csv: Path, terms: BountyForm) -> None:
    """On the open New bounty page: upload the CSV, preview its spec and type the terms."""
    page.set_input_files("#csv", str(csv))
    page.get_by_role("button", name="Preview the spec").click()
    if terms.base is not None:
        page.select_option("#base", terms.base)
    page.fill("#title", terms.title)
    page.fill("#target", terms.target)
    page.fill("#bounty_eth", terms.bounty_eth)
    page.fill("#deadline_hours", terms.deadline_hours)
