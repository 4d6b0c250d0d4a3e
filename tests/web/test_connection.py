"""The one app connection both apps use: key mode, wallet mode and a dead chain behave alike."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from flask import Flask

from fedlend.errors import (
    AlreadyPostedError,
    ChainUnavailableError,
    ConfigError,
    WalletNotConnectedError,
)
from fedlend.services.guarded_store import GuardedStore
from fedlend.services.lender import LenderService
from fedlend.services.owner import OwnerService
from fedlend.web import connection
from fedlend.web.connection import RETRY_AFTER_S, Connection, _copy
from tests.apps.helpers import build_app
from tests.apps.lender_support import dead_rpc_url
from tests.market import Market

BOTH = pytest.mark.parametrize("which", ["lender", "owner"])
APPS = pytest.mark.parametrize(
    ("which", "service_type"), [("lender", LenderService), ("owner", OwnerService)]
)


def app_on(which: str, market: Market, tmp_path: Path, **config: object) -> Flask:
    config.setdefault("FEDLEND_SETTINGS", market.settings(0))
    return build_app(which, tmp_path / which, **config)


def the_connection(app: Flask) -> Connection[LenderService | OwnerService]:
    found = app.extensions[connection.EXTENSION]
    assert isinstance(found, Connection)
    return found


@APPS
def test_key_mode_connects_once_with_a_guarded_store(
    which: str, service_type: type[LenderService | OwnerService], market: Market, tmp_path: Path
) -> None:
    app = app_on(which, market, tmp_path)
    with app.app_context():
        service = connection.connection().service()
        assert isinstance(service, service_type)
        assert service.node.address == market.node(0).address
        assert isinstance(service.node.store, GuardedStore)
        assert connection.connection().service() is service  # cached
        connection.connection().forget()
        assert connection.connection().service() is not service  # reconnected afresh


@APPS
def test_a_dead_chain_fails_fast_then_retries_and_local_records_still_open(
    which: str, service_type: type[LenderService | OwnerService], market: Market, tmp_path: Path
) -> None:
    settings = market.settings(0).with_(rpc_url=dead_rpc_url())
    app = app_on(which, market, tmp_path, FEDLEND_SETTINGS=settings)
    with app.app_context():
        link = the_connection(app)
        with pytest.raises(ChainUnavailableError, match="cannot reach") as first:
            link.service()
        started = time.monotonic()
        with pytest.raises(ChainUnavailableError) as again:
            link.service()
        assert time.monotonic() - started < 0.5  # the remembered failure, not a second wait
        assert again.value is not first.value
        assert str(again.value) == str(first.value)
        local = connection.local_or_connected()
        assert isinstance(local, service_type)
        assert local.node.address.lower() == market.node(0).address.lower()
        link._failure = (time.monotonic() - RETRY_AFTER_S, first.value)  # the window passed
        with pytest.raises(ChainUnavailableError) as later:
            link.service()
        assert later.value is not first.value  # tried again (and failed again)
        assert link._failure is not None
        assert link._failure[1] is later.value


@BOTH
def test_wallet_mode_without_a_signed_in_wallet_says_connect(
    which: str, market: Market, tmp_path: Path
) -> None:
    settings = market.settings(0).with_(dev_account=None)
    app = app_on(which, market, tmp_path, FEDLEND_SETTINGS=settings, SIGNING_MODE="wallet")
    with app.test_request_context("/"):
        for call in (connection.connection().service, connection.local_or_connected):
            with pytest.raises(WalletNotConnectedError, match="Connect wallet"):
                call()
        assert connection.badge().label == "not signed in"


@BOTH
def test_no_account_at_all_is_a_config_error_on_local_pages_too(
    which: str, market: Market, tmp_path: Path
) -> None:
    settings = market.settings(0).with_(dev_account=None, rpc_url=dead_rpc_url())
    app = app_on(which, market, tmp_path, FEDLEND_SETTINGS=settings, SIGNING_MODE="key")
    with app.app_context(), pytest.raises(ConfigError, match="no account configured"):
        connection.connection().local_service()


def test_a_remembered_failure_keeps_its_type_message_and_fields() -> None:
    original = AlreadyPostedError(7)
    copied = _copy(original)
    assert copied is not original
    assert isinstance(copied, AlreadyPostedError)
    assert copied.model_id == 7
    assert str(copied) == str(original)
