"""The data owner's Flask app: train lenders' models on local loans with DP, submit, get paid."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from fedlend.web import connection as shared_connection
from fedlend.web import make_app, signals_views

NAV = [
    ("home.index", "Home"),
    ("data.index", "My data"),
    ("bounties.index", "Open bounties"),
    ("contribute.form", "Contribute"),
    ("contributions.index", "My contributions"),
    ("desk.index", "Check a model"),
    ("signals.index", "Address check"),
]


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """The owner app; data in FEDLEND_HOME/owner/; `test_config` overrides any config key."""
    from owner_app import bounties, circuit, connection, contribute, contributions, data, desk, home

    app = make_app(
        __name__,
        title="fedlend · Owner",
        slug="owner",
        test_config=test_config,
        nav=NAV,
        badge=shared_connection.badge,
    )
    connection.install(app)
    for module in (home, data, bounties, contribute, contributions, desk, circuit):
        app.register_blueprint(module.bp)
    signals_views.init_app(app)
    return app
