"""End-to-end tests: the shared market fixtures and the browser helpers (Chromium, live server)."""

from tests.browser_helpers import browser, console_errors, live_server, page  # noqa: F401
from tests.market import *  # noqa: F403
