"""Jinja filters: wei as ETH, basis points, UTC and relative times, short addresses and CIDs."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from flask import Flask
from markupsafe import Markup

from fedlend.amounts import eth_rounded
from fedlend.errors import FedlendError
from fedlend.types import MAX_SCORE, WEI_PER_ETH

MISSING = "—"
_UNITS = ((86_400, "d"), (3_600, "h"), (60, "min"), (1, "s"))


def eth(wei: int | None, *, unit: str = "ETH") -> str:
    """Exact wei as ETH with units and no float rounding: 1500000000000000000 -> '1.5 ETH'."""
    if wei is None:
        return MISSING
    sign = "-" if int(wei) < 0 else ""
    whole, fraction = divmod(abs(int(wei)), WEI_PER_ETH)
    decimals = str(fraction).rjust(18, "0").rstrip("0")
    return f"{sign}{whole:,}{'.' if decimals else ''}{decimals} {unit}"


def eth_html(wei: int | None) -> Markup | str:
    """`eth_rounded` for templates; when it rounds, the exact amount is its tooltip and what a
    copy of it puts on the clipboard (amounts.js)."""
    short, exact = eth_rounded(wei), eth(wei)
    if wei is None or short == exact:
        return short
    return Markup(
        '<span class="eth" title="{0} ({1:,} wei)" data-eth-exact="{0}">{2}</span>'
    ).format(exact, int(wei), short)


def eth_short(wei: int) -> str:
    """A balance to 4 decimals, rounded down, for headers (pages show exact amounts)."""
    whole, fraction = divmod(int(wei), WEI_PER_ETH)
    return f"{whole:,}.{fraction // 10**14:04d} ETH"


def bps(value: int | None) -> str:
    """Basis points as the metric they encode, four places: 7123 -> '0.7123'."""
    if value is None:
        return MISSING
    sign = "-" if int(value) < 0 else ""
    whole, fraction = divmod(abs(int(value)), MAX_SCORE)
    return f"{sign}{whole}.{fraction:04d}"


def utc(timestamp: float | None) -> str:
    """Unix seconds as 'YYYY-MM-DD HH:MM UTC'."""
    if timestamp is None:
        return MISSING
    return datetime.fromtimestamp(float(timestamp), tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def relative(timestamp: float | None, *, now: float | None = None) -> str:
    """Unix seconds relative to now in one unit: 'in 2 h', '5 min ago', 'just now'."""
    if timestamp is None:
        return MISSING
    delta = float(timestamp) - (time.time() if now is None else now)
    if abs(delta) < 1:
        return "just now"
    text = duration(abs(delta))
    return f"in {text}" if delta > 0 else f"{text} ago"


def duration(seconds: float | None) -> str:
    """A length of time in its largest whole unit, rounded down: 7300 -> '2 h', 59 -> '59 s'."""
    if seconds is None:
        return MISSING
    seconds = abs(float(seconds))
    for size, name in _UNITS:
        if seconds >= size:
            return f"{int(seconds // size)} {name}"
    return f"{seconds:.1f} s"


def short_address(address: str | None) -> str:
    """A 0x-address cut to its ends: '0x1234…abcd'; anything short is left whole."""
    if not address:
        return MISSING
    text = str(address)
    return text if len(text) <= 12 else f"{text[:6]}…{text[-4:]}"


def cid(value: str | bytes | None) -> str:
    """A CID string, or the CIDv1 a 32-byte digest rebuilds; malformed input shows as such."""
    if value is None or value == b"" or value == "":
        return MISSING
    if isinstance(value, bytes | bytearray):
        from fedlend.storage.cid import digest_to_cid

        try:
            return digest_to_cid(bytes(value))
        except FedlendError:
            return f"(invalid digest 0x{bytes(value).hex()})"
    return str(value)


def short_cid(value: str | bytes | None) -> str:
    """A CID cut to its ends for tables: 'bafkrei…wxyz' (the full CID belongs in a title=)."""
    text = cid(value)
    return text if len(text) <= 16 or text.startswith("(") else f"{text[:7]}…{text[-4:]}"


FILTERS = {
    "eth": eth_html,
    "eth_exact": eth,
    "bps": bps,
    "utc": utc,
    "relative": relative,
    "duration": duration,
    "short_address": short_address,
    "cid": cid,
    "short_cid": short_cid,
}


def register_filters(app: Flask) -> None:
    """Make every filter above available in the app's templates."""
    app.jinja_env.filters.update(FILTERS)
