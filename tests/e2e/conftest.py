"""End-to-end tests use the shared market fixtures and the browser helpers."""

from tests.market import *  # noqa: F403
