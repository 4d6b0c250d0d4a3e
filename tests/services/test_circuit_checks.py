"""The owner's kept circuit verdicts: read back type-checked; a damaged file reads as unchecked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fedlend.services.circuit_check import CircuitCheck
from fedlend.services.circuit_checks import FILE, MAX_MESSAGE, recall

KEY = "31337:0xabc:2:0xdef:00ff:aa"


def test_a_kept_verdict_reads_back(tmp_path: Path) -> None:
    (tmp_path / FILE).write_text(json.dumps({KEY: {"ok": True, "message": "its own circuit"}}))
    assert recall(tmp_path, KEY) == CircuitCheck(True, "its own circuit")
    assert recall(tmp_path, KEY + "0") is None  # another verifier, key or spec: not checked


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xff\xfe not json",
        b"[1, 2]",
        json.dumps({KEY: {"ok": "yes", "message": "m"}}).encode(),
        json.dumps({KEY: {"ok": True, "message": 7}}).encode(),
        json.dumps({KEY: {"ok": True, "message": "m" * (MAX_MESSAGE + 1)}}).encode(),
        json.dumps({KEY: [True, "m"]}).encode(),
        b"[" * 100_000,
    ],
    ids=[
        "empty",
        "garbage",
        "a list",
        "ok not a bool",
        "message not text",
        "huge",
        "a row",
        "deep",
    ],
)
def test_a_damaged_file_reads_as_never_checked(tmp_path: Path, content: bytes) -> None:
    (tmp_path / FILE).write_bytes(content)
    assert recall(tmp_path, KEY) is None


def test_no_file_means_never_checked(tmp_path: Path) -> None:
    assert recall(tmp_path, KEY) is None
