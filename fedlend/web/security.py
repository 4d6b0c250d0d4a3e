"""Request hardening: secret key, loopback-only Host check (DNS rebinding), security headers."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, Response, abort, current_app, request

from fedlend.errors import ConfigError

SECRET_KEY_ENV = "FEDLEND_SECRET_KEY"  # noqa: S105 (a variable name, not a secret)
SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name, not a secret)
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]"})
MIN_SECRET_CHARS = 32
DEFAULT_HTTP_PORT = 80

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def load_secret_key(data_dir: Path, env: dict[str, str] | None = None) -> str:
    """FEDLEND_SECRET_KEY, else a random key kept 0600 in data_dir (created on first run)."""
    env = dict(os.environ) if env is None else env
    if env.get(SECRET_KEY_ENV):
        key = env[SECRET_KEY_ENV]
        if len(key) < MIN_SECRET_CHARS:
            raise ConfigError(
                f"{SECRET_KEY_ENV} is too short: use at least {MIN_SECRET_CHARS} random characters "
                '(python -c "import secrets; print(secrets.token_hex(32))")'
            )
        return key
    return _key_file(Path(data_dir) / SECRET_KEY_FILE)


def _key_file(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    return _read_key(path)


def _read_key(path: Path) -> str:
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    key = path.read_text().strip()
    if len(key) < MIN_SECRET_CHARS:
        raise ConfigError(f"the secret key in {path} is damaged: delete the file to make a new one")
    return key


def host_allowed(host: str, port: int | None) -> bool:
    """True for a loopback Host header: 127.0.0.1, localhost or [::1], with `port` if one is set."""
    host = host.strip().lower()
    if host.startswith("["):
        name, _, rest = host.partition("]")
        name += "]"
        port_text = rest[1:] if rest.startswith(":") else None
        if rest and port_text is None:
            return False
    else:
        name, sep, port_text_raw = host.partition(":")
        port_text = port_text_raw if sep else None
    if name not in LOOPBACK_NAMES:
        return False
    if port is None:
        return port_text is None or port_text.isdigit()
    if port_text is None:
        return port == DEFAULT_HTTP_PORT
    return port_text.isdigit() and int(port_text) == port


def check_host() -> None:
    """before_request: refuse (400) a Host that is not this app on loopback (DNS rebinding)."""
    host = request.headers.get("Host", "")
    if not host_allowed(host, current_app.config.get("PORT")):
        abort(400, description=_foreign_host_message())


def _foreign_host_message() -> str:
    port = current_app.config.get("PORT")
    where = f"http://127.0.0.1:{port}/" if port else "http://127.0.0.1/"
    return (
        "This app only answers requests addressed to it on this computer. "
        f"Open it at {where} (a page on another site may have tried to reach it)."
    )


def add_security_headers(response: Response) -> Response:
    """after_request: CSP allowing only this origin, no framing, no referrer."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def install(app: Flask) -> None:
    """Wire the Host check and the headers into `app`."""
    app.before_request(check_host)
    app.after_request(add_security_headers)
