"""Friendly error pages (HTML, or JSON for fetch() callers) that never show a stack trace."""

from __future__ import annotations

import logging
import secrets

from flask import Flask, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from fedlend.errors import (
    ChainUnavailableError,
    ConfigError,
    FedlendError,
    NotFoundError,
    StorageUnavailableError,
)

log = logging.getLogger(__name__)

TITLES = {
    400: "That request could not be handled",
    403: "Not allowed",
    404: "Page not found",
    405: "That action is not available here",
    413: "Upload too large",
    500: "Something went wrong",
    503: "A service is unavailable",
}
MESSAGES = {
    400: "The request was malformed or incomplete. Go back, reload the page and try again.",
    403: "You are not allowed to do that.",
    404: "There is nothing at this address. Check the link, or start again from the home page.",
    405: "This page does not accept that kind of request. Use the buttons and forms on the page.",
    500: "An unexpected error stopped this page.",
}
DOWN_TITLES = {  # an outage's page names what is down, not just "Error 503"
    ChainUnavailableError: "The chain is not answering",
    StorageUnavailableError: "The content store is not answering",
}
CSRF_MESSAGE = (
    "This form expired or was not sent from this app's own page, so it was refused to keep you "
    "safe. Reload the page and submit the form again."
)


def status_for(exc: FedlendError) -> int:
    """The HTTP status a FedlendError maps to."""
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ChainUnavailableError | StorageUnavailableError):
        return 503
    if isinstance(exc, ConfigError):
        return 500
    return 400


def wants_json() -> bool:
    """True when the caller asked for JSON (the progress poller, API clients)."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes.accept_html


def render_error(
    status: int, message: str, *, incident: str | None = None, down: str | None = None
) -> ResponseReturnValue:
    """The error page (or JSON body) for `status` with a user-facing message; `down` names
    what is unavailable (then the page says that instead of an error code)."""
    title = down or TITLES.get(status, "Something went wrong")
    if wants_json():
        body = {"error": message, "status": status, "incident": incident}
        return jsonify(body), status
    try:
        html = render_template(
            "error.html",
            status=status,
            title=title,
            message=message,
            incident=incident,
            down=down is not None,
        )
    except Exception:  # the layout itself failed (e.g. a nav or badge hook): plain page instead
        log.exception("rendering the error page failed")
        html = _plain_page(status, title, message, incident)
    return html, status


def _plain_page(status: int, title: str, message: str, incident: str | None) -> str:
    extra = f"<p>Incident id: <code>{escape(incident)}</code></p>" if incident else ""
    return (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{escape(title)}</title>"
        f"<h1>{status} · {escape(title)}</h1><p>{escape(message)}</p>{extra}"
        '<p><a href="/">Home</a></p></html>'
    )


def handle_http(exc: HTTPException) -> ResponseReturnValue:
    """Werkzeug's HTTP errors (404, 405, 413, CSRF's 400 ...) as friendly pages."""
    status = exc.code or 500
    if isinstance(exc, CSRFError):
        return render_error(400, CSRF_MESSAGE)
    if isinstance(exc, RequestEntityTooLarge):
        return render_error(413, _too_large_message())
    message = MESSAGES.get(status, "")
    description = exc.description or ""
    if description and description != type(exc).description:  # a message a view chose to give
        message = description
    response = current_app.make_response(
        render_error(status, message or TITLES.get(status, "Something went wrong"))
    )
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def handle_fedlend(exc: FedlendError) -> ResponseReturnValue:
    """A FedlendError's message is written for users: show it."""
    status = status_for(exc)
    log.info("%s on %s %s: %s", type(exc).__name__, request.method, request.path, exc)
    down = next((t for kind, t in DOWN_TITLES.items() if isinstance(exc, kind)), None)
    return render_error(status, str(exc) or MESSAGES[500], down=down)


def handle_unexpected(exc: Exception) -> ResponseReturnValue:
    """Anything else: a generic page with an incident id; the traceback goes to the server log."""
    incident = secrets.token_hex(4)
    log.error(
        "incident %s: unhandled %s on %s %s",
        incident,
        type(exc).__name__,
        request.method,
        request.path,
        exc_info=exc,
    )
    message = MESSAGES[500] + " It has been logged; mention the incident id if you report it."
    return render_error(500, message, incident=incident)


def _too_large_message() -> str:
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return (
        f"The upload is larger than this app's limit of {limit / (1 << 20):.0f} MiB. "
        "Choose a smaller file (or raise FEDLEND_MAX_UPLOAD_MB and restart the app)."
    )


def install(app: Flask) -> None:
    """Register the handlers on `app`."""
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(FedlendError, handle_fedlend)
    app.register_error_handler(Exception, handle_unexpected)
