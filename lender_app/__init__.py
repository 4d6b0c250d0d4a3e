"""The lender's Flask app: post bounties, evaluate submitted updates, pay the improving ones."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from fedlend.web import connection, make_app, signals_views

NAV = [
    ("home.index", "Home"),
    ("bounties.new", "New bounty"),
    ("account.index", "Account"),
    ("signals.index", "Address check"),
]
AUTO_EVALUATE_INTERVAL_S = 10.0
AUTO_EVALUATE_RETRY_S = 300.0


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """The lender app; data in FEDLEND_HOME/lender/; `test_config` overrides any config key.

    Extra config keys: AUTO_EVALUATE (start the automatic-evaluation poller; default: on unless
    TESTING), AUTO_EVALUATE_INTERVAL_S (10), AUTO_EVALUATE_RETRY_S (300: wait after a failed
    automatic run), LENDER_STATE_DIR (the lender's private records and validation data; default
    FEDLEND_HOME/lender/<address>/).
    """
    from lender_app import account, bounties, context, desk, home, models
    from lender_app.evaluations import Evaluations

    app = make_app(
        __name__,
        title="fedlend · Lender",
        slug="lender",
        test_config=test_config,
        nav=NAV,
        badge=connection.badge,
    )
    context.install(app)
    app.register_blueprint(home.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(models.bp)
    bounties.init_app(app)
    desk.init_app(app)
    signals_views.init_app(app)
    evaluations = Evaluations(
        app,
        interval_s=float(app.config.get("AUTO_EVALUATE_INTERVAL_S", AUTO_EVALUATE_INTERVAL_S)),
        retry_s=float(app.config.get("AUTO_EVALUATE_RETRY_S", AUTO_EVALUATE_RETRY_S)),
    )
    wallet = app.config["SIGNING_MODE"] == "wallet"  # no key: each evaluation is reviewed
    if app.config.get("AUTO_EVALUATE", not app.testing and not wallet):
        evaluations.start()
    return app
