"""Whatever bytes arrive as an export, the parser answers with a History or a DataError."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from fedlend.errors import DataError
from signals.etherscan import parse_exports
from tests.signals.test_etherscan import ME, NORMAL

PREFIX = NORMAL.split(b"\n", 1)[0] + b"\n"


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_after_a_valid_header(tail: bytes) -> None:
    with contextlib.suppress(DataError):
        parse_exports(ME, [("fuzz.csv", PREFIX + tail)])


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_random_text(text: str) -> None:
    with contextlib.suppress(DataError):
        parse_exports(ME, [("fuzz.csv", text.encode())])
