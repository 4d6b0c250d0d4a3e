"""Run a fedlend Flask app on 127.0.0.1 only, with werkzeug's threaded server (never debug)."""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from fedlend.errors import ConfigError

LOOPBACK = "127.0.0.1"

AppFactory = Callable[[Mapping[str, Any] | None], Flask]


def check_port(port: int) -> None:
    """ConfigError unless `port` is a valid TCP port that is free on 127.0.0.1."""
    if not 1 <= port <= 65535:
        raise ConfigError(f"port {port} is out of range: pick one between 1024 and 65535")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # as the server itself binds: a crashed app's TIME_WAIT connections do not block a
        # restart, while a live listener on the port still does (Linux refuses that bind)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(
                    f"port {port} on {LOOPBACK} is already in use (another app, or Anvil?): "
                    "stop it or pass --port with a free port"
                ) from exc
            raise ConfigError(f"cannot listen on {LOOPBACK}:{port}: {exc}") from exc


def serve(factory: AppFactory, *, port: int, name: str) -> None:
    """Build the app for `port` and serve it on 127.0.0.1 until Ctrl-C."""
    check_port(port)
    app = factory({"PORT": port})
    server = make_server(LOOPBACK, port, app, threaded=True)
    print(f"{name} running at http://{LOOPBACK}:{port}/ (Ctrl-C stops it)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        app.extensions["fedlend_jobs"].shutdown(cancel=True)
