"""JSON from strangers: size and nesting depth checked on the raw bytes BEFORE the parser runs.

Some dependencies (torch) raise Python's recursion limit at import; the C JSON parser then recurses
until the C stack overflows on deeply nested input (a segfault, not an exception). So depth is
measured with a linear scan that skips string literals, and anything deeper than `max_depth` is
refused without ever calling `json.loads`. Every failure is the caller's FedlendError subclass.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

from fedlend_core.errors import FedlendError

DEFAULT_MAX_DEPTH = 32
_ESCAPE = re.compile(rb"\\.", re.S)  # escape pairs first, so a quote left is a real quote
_STRING = re.compile(rb'"[^"]*"')
_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


def nesting_depth(raw: bytes) -> int:
    """The deepest bracket nesting outside string literals (0 for a scalar)."""
    skeleton = _STRING.sub(b"", _ESCAPE.sub(b"", raw))
    if not skeleton:
        return 0
    steps = _OPEN[np.frombuffer(skeleton, dtype=np.uint8)].astype(np.int32)
    return int(max(0, np.cumsum(steps).max()))


def loads_bounded(
    raw: bytes | bytearray | str,
    *,
    error: type[FedlendError],
    what: str,
    max_bytes: int,
    max_depth: int = DEFAULT_MAX_DEPTH,
    **hooks: Any,
) -> Any:
    """Parse JSON no larger than `max_bytes` and no deeper than `max_depth`, NaN/Infinity refused.

    Raises `error(...)` (a FedlendError subclass) naming `what` and the limit broken.
    """
    data = _as_bytes(raw, error, what)
    if len(data) > max_bytes:
        raise error(f"{what} is {len(data):,} bytes, over the {max_bytes:,}-byte limit; refused")
    depth = nesting_depth(data)
    if depth > max_depth:
        raise error(f"{what} nests {depth:,} levels deep, over the limit of {max_depth}; refused")
    hooks.setdefault("parse_constant", _no_constant)
    try:
        return json.loads(data.decode("utf-8"), **hooks)
    except FedlendError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError, OverflowError) as exc:
        raise error(f"{what} is not valid JSON ({_short(exc)}); it cannot be used") from exc


def finite_number(value: object) -> bool:
    """True for an int or float (not bool) that is finite and fits a float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _as_bytes(raw: object, error: type[FedlendError], what: str) -> bytes:
    if isinstance(raw, str):
        try:
            return raw.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise error(f"{what} is not valid UTF-8 text; it cannot be used") from exc
    if isinstance(raw, bytes | bytearray | memoryview):
        return bytes(raw)
    raise error(f"{what} must be bytes, not {type(raw).__name__}")


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed")


def _short(exc: BaseException) -> str:
    return str(exc)[:200]
