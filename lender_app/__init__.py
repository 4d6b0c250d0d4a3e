"""The lender's Flask app: post bounties, evaluate submitted updates, pay the improving ones."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from fedlend.web import make_app

NAV = [("home.index", "Home")]


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """The lender app; data in FEDLEND_HOME/lender/; `test_config` overrides any config key."""
    app = make_app(
        __name__, title="fedlend · Lender", slug="lender", test_config=test_config, nav=NAV
    )
    from lender_app import home

    app.register_blueprint(home.bp)
    return app
