"""The data owner's Flask app: train lenders' models on local loans with DP, submit, get paid."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from web3.exceptions import BadFunctionCallOutput

from fedlend.web import make_app

NAV = [
    ("home.index", "Home"),
    ("data.index", "My data"),
    ("bounties.index", "Open bounties"),
    ("contribute.form", "Contribute"),
    ("contributions.index", "My contributions"),
]


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """The owner app; data in FEDLEND_HOME/owner/; `test_config` overrides any config key."""
    from owner_app import bounties, connection, contribute, contributions, data, home

    app = make_app(
        __name__,
        title="fedlend · Owner",
        slug="owner",
        test_config=test_config,
        nav=NAV,
        badge=connection.badge,
    )
    app.extensions[connection.EXTENSION] = connection.owner_connection(
        app.config["FEDLEND_SETTINGS"], app.config["DATA_DIR"]
    )
    app.register_error_handler(BadFunctionCallOutput, connection.forget_lost_contract)
    for module in (home, data, bounties, contribute, contributions):
        app.register_blueprint(module.bp)
    return app
