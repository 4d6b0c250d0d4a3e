"""The data owner's Flask app: train lenders' models on local loans with DP, submit, get paid."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from fedlend.web import make_app

NAV = [("home.index", "Home")]


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """The owner app; data in FEDLEND_HOME/owner/; `test_config` overrides any config key."""
    app = make_app(
        __name__, title="fedlend · Owner", slug="owner", test_config=test_config, nav=NAV
    )
    from owner_app import home

    app.register_blueprint(home.bp)
    return app
