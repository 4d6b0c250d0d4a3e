"""The owner app's adapter on the shared connection (fedlend/web/connection.py): its service."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from fedlend.services.node import Node
from fedlend.services.owner import OwnerService
from fedlend.web import connection
from fedlend.web.connection import nav_page

__all__ = ["install", "local_owner_service", "nav_page", "owner_service"]


def install(app: Flask) -> None:
    """Each account's OwnerService keeps its records in DATA_DIR/<address>/."""
    data_dir: Path = app.config["DATA_DIR"]
    connection.install(app, lambda node: _owner(node, data_dir))


def _owner(node: Node, data_dir: Path) -> OwnerService:
    return OwnerService(node, state=data_dir / node.address.lower())


def owner_service() -> OwnerService:
    """The current app's OwnerService (connecting on first use)."""
    service: OwnerService = connection.connection().service()
    return service


def local_owner_service() -> OwnerService:
    """The connected service, or with the chain down this account's local records only."""
    service: OwnerService = connection.local_or_connected()
    return service
