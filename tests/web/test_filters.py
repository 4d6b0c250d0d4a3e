"""Jinja filters: exact wei -> ETH, basis points, UTC and relative times, addresses, CIDs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from flask import render_template_string

from fedlend.storage.cid import cid_for
from fedlend.web import filters
from tests.apps.helpers import build_app

NOW = 1_700_000_000.0
ADDRESS = "0x5B38Da6a701c568545dCfcB03FcB875f56beddC4"


@pytest.mark.parametrize(
    ("wei", "text"),
    [
        (0, "0 ETH"),
        (1, "0.000000000000000001 ETH"),
        (10**18, "1 ETH"),
        (1_500_000_000_000_000_000, "1.5 ETH"),
        (123_456_789_012_345_678_901, "123.456789012345678901 ETH"),
        (10**30 + 1, "1,000,000,000,000.000000000000000001 ETH"),  # beyond float precision
        (-(5 * 10**17), "-0.5 ETH"),
        (None, "—"),
    ],
)
def test_eth_is_exact(wei: int | None, text: str) -> None:
    assert filters.eth(wei) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0.0000"), (5, "0.0005"), (7123, "0.7123"), (10_000, "1.0000"), (None, "—")],
)
def test_bps(value: int | None, text: str) -> None:
    assert filters.bps(value) == text


@pytest.mark.parametrize(
    ("timestamp", "text"),
    [(0, "1970-01-01 00:00 UTC"), (NOW, "2023-11-14 22:13 UTC"), (None, "—")],
)
def test_utc(timestamp: float | None, text: str) -> None:
    assert filters.utc(timestamp) == text


@pytest.mark.parametrize(
    ("offset", "text"),
    [
        (0, "just now"),
        (0.4, "just now"),
        (30, "in 30 s"),
        (-30, "30 s ago"),
        (2 * 3600 + 59, "in 2 h"),
        (-(5 * 60 + 10), "5 min ago"),
        (3 * 86_400, "in 3 d"),
        (-86_399, "23 h ago"),
    ],
)
def test_relative(offset: float, text: str) -> None:
    assert filters.relative(NOW + offset, now=NOW) == text


def test_relative_defaults_to_the_clock() -> None:
    import time

    assert filters.relative(time.time() + 7300) == "in 2 h"
    assert filters.relative(None) == "—"


@pytest.mark.parametrize(
    ("address", "text"),
    [(ADDRESS, "0x5B38…ddC4"), ("0x1234", "0x1234"), ("", "—"), (None, "—")],
)
def test_short_address(address: str | None, text: str) -> None:
    assert filters.short_address(address) == text


def test_cid_from_a_digest_matches_the_storage_layer() -> None:
    data = b"fedlend weights"
    digest = hashlib.sha256(data).digest()
    full = cid_for(data)
    assert filters.cid(digest) == full
    assert full.startswith("bafkrei")
    assert filters.cid(full) == full
    assert filters.short_cid(digest) == f"{full[:7]}…{full[-4:]}"


@pytest.mark.parametrize(
    ("value", "text"),
    [(b"\x01\x02", "(invalid digest 0x0102)"), (b"", "—"), (None, "—"), ("", "—")],
)
def test_cid_of_bad_input_says_so(value: bytes | str | None, text: str) -> None:
    assert filters.cid(value) == text
    assert filters.short_cid(value) == text


def test_filters_are_registered_in_templates(tmp_path: Path) -> None:
    app = build_app("lender", tmp_path)
    template = (
        "{{ w|eth }}|{{ s|bps }}|{{ t|utc }}|{{ a|short_address }}|{{ d|short_cid }}|"
        "{{ 7300|duration }}"
    )
    with app.test_request_context("/"):
        text = render_template_string(
            template, w=25 * 10**16, s=6543, t=0, a=ADDRESS, d=b"\x00" * 32
        )
    assert text == "0.25 ETH|0.6543|1970-01-01 00:00 UTC|0x5B38…ddC4|bafkrei…aaaa|2 h"


@pytest.mark.parametrize(
    ("wei", "text"),
    [
        (0, "0 ETH"),
        (2 * 10**18, "2 ETH"),
        (1_653_620_352_250_489_236, "1.6536 ETH"),
        (892_666_666_666_666_667, "0.8927 ETH"),
        (123_456_000_000_000, "0.0001235 ETH"),
        (1, "0.000000000000000001 ETH"),
        (12_345_678_950_000_000_000_000, "12,345.679 ETH"),
        (-1_653_620_352_250_489_236, "-1.6536 ETH"),
        (None, "—"),
    ],
)
def test_eth_rounded_keeps_about_4_significant_decimals(wei: int | None, text: str) -> None:
    assert filters.eth_rounded(wei) == text


def test_eth_html_shows_the_exact_amount_only_when_it_rounds() -> None:
    assert filters.eth_html(5 * 10**17) == "0.5 ETH"
    html = str(filters.eth_html(1_653_620_352_250_489_236))
    assert html.startswith('<span class="eth" title="1.653620352250489236 ETH (1,653,620,352,')
    assert 'data-eth-exact="1.653620352250489236 ETH">1.6536 ETH</span>' in html
