"""Secrets in endpoint URLs (https://user:pass@host/v3/KEY) never reach a page, error or log."""

from __future__ import annotations

import logging
import re
import threading
import traceback
from urllib.parse import SplitResult, urlsplit

MASK = "***"
_KEYLIKE = re.compile(r"(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_.~\-]{12,}|[^/]{24,}")
_SECRETS: set[str] = set()
_LOCK = threading.Lock()
_INSTALLED = False


def redact_url(url: str) -> str:
    """The URL with userinfo, key-like path parts, query values and fragment masked."""
    try:
        parts = urlsplit(str(url))
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return MASK
    if not parts.scheme:
        return _scrub_segments(str(url))
    user = f"{MASK}@" if parts.username or parts.password else ""
    query = "&".join(f"{q.split('=', 1)[0]}={MASK}" for q in parts.query.split("&") if q)
    return SplitResult(
        parts.scheme,
        f"{user}{_bracket(host)}{port}",
        _scrub_segments(parts.path),
        query,
        MASK if parts.fragment else "",
    ).geturl()


def secrets_of(url: str) -> list[str]:
    """The secret pieces of a URL (userinfo, key-like path parts, query values), longest first."""
    try:
        parts = urlsplit(str(url))
        userinfo = parts.netloc.rpartition("@")[0]
    except ValueError:
        return [str(url)] if url else []
    found = [userinfo + "@" if userinfo else ""]  # short user names alone would mask plain words
    found += [p for p in (parts.username, parts.password) if p and len(p) >= 8]
    found += [s for s in parts.path.split("/") if _KEYLIKE.fullmatch(s)]
    found += [q.split("=", 1)[-1] for q in parts.query.split("&") if q]
    found += [parts.fragment]
    return sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)


def scrub(text: str, secrets: list[str] | None = None) -> str:
    """`text` with every registered (or given) secret replaced by the mask."""
    for secret in _SECRETS.copy() if secrets is None else secrets:
        text = text.replace(secret, MASK)
    return text


def protect(url: str | None) -> None:
    """Register a URL's secrets: from now on every log record is scrubbed of them."""
    global _INSTALLED
    if not url:
        return
    with _LOCK:
        _SECRETS.update(secrets_of(url))
        if not _INSTALLED and _SECRETS:
            _install()
            _INSTALLED = True


def _install() -> None:
    make_record = logging.getLogRecordFactory()

    def scrubbed(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        if _SECRETS:
            record.msg, record.args = scrub(record.getMessage()), ()
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = scrub("".join(traceback.format_exception(*record.exc_info)))
                record.exc_text = record.exc_text.rstrip("\n")
        return record

    logging.setLogRecordFactory(scrubbed)


def _scrub_segments(path: str) -> str:
    return "/".join(MASK if _KEYLIKE.fullmatch(s) else s for s in path.split("/"))


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host
