"""Fuzz every parser that reads the store or the chain: a valid result or a FedlendError, never
another exception, and never a crash of the process (deep nesting runs in a subprocess)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile import PARSERS, Parser, judge


@pytest.mark.parametrize("parser", PARSERS, ids=[p.name for p in PARSERS])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_parser_returns_a_valid_result_or_a_fedlend_error(
    parser: Parser, data: st.DataObject
) -> None:
    judge(parser, data.draw(parser.inputs))


def test_the_honest_inputs_still_parse() -> None:
    from tests.hostile import HEADER, SPEC, WEIGHTS

    by_name = {p.name: p for p in PARSERS}
    assert judge(by_name["spec"], SPEC.to_json()) == "valid"
    assert judge(by_name["safetensors"], WEIGHTS) == "valid"
    assert judge(by_name["sealed header"], HEADER.to_json()) == "valid"


DEEP = """
import sys, torch  # torch raises the recursion limit at import, as in the apps
sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))
from tests.hostile import PARSERS, judge, sealed
import struct
bomb = b"[" * 300_000
cases = {
    "spec": bomb,
    "safetensors": struct.pack("<Q", 60_000) + b"[" * 60_000,
    "sealed header": b"[" * 4_000,
    "sealed blob": b"[" * 4_000,
}
for parser in PARSERS:
    if parser.name in cases:
        print(parser.name, judge(parser, cases[parser.name]))
"""


def test_deep_nesting_is_refused_without_crashing_the_process() -> None:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(DEEP)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-2000:]}"
    assert done.stdout.split("\n")[:4] == [
        "spec refused",
        "safetensors refused",
        "sealed header refused",
        "sealed blob refused",
    ]
