"""App tests' fixtures: the shared browser fixtures (Chromium + live server) for browser tests."""

from tests.browser_helpers import browser, console_errors, live_server, page  # noqa: F401
