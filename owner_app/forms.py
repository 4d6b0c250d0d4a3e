"""Small form helpers for the owner app's views: ids, names and redirects read safely."""

from __future__ import annotations

import re
import unicodedata

from flask import abort, request

from fedlend.errors import NotFoundError
from fedlend.web.jobs_views import safe_next

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
MAX_NAME_CHARS = 120

__all__ = ["dataset_name", "model_arg", "safe_next", "sha_arg"]


def sha_arg(value: str) -> str:
    """A dataset id from a URL: 64 lowercase hex digits, else a 404."""
    if not SHA256_HEX.match(value):
        raise NotFoundError("there is no such dataset: pick one on My data")
    return value


def model_arg(value: str | None) -> int | None:
    """An optional model id from a form or query string ('' = none); a 400 if it is not one."""
    if value is None or not value.strip():
        return None
    text = value.strip().lstrip("#")
    if not text.isdigit() or not 0 < int(text) < 2**64:
        abort(400, description=f"{value!r} is not a model id: pick a bounty from the list")
    return int(text)


def dataset_name(filename: str | None) -> str:
    """A display name from an uploaded file's name (never used as a path)."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return clean[:MAX_NAME_CHARS] or "dataset.csv"


def form_text(name: str) -> str:
    """A form field's text ('' when absent)."""
    return (request.form.get(name) or "").strip()
