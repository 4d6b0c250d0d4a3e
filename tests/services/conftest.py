"""Service tests use the shared market fixtures (fresh contract, real loans, posted bounties)."""

from tests.market import *  # noqa: F403
