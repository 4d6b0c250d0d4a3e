"""Plain-text blacklists: one address per line, comments allowed, anything else refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedlend.errors import DataError
from signals.blacklist import parse_list, read_list

A = "0x" + "a" * 40
B = "0x" + "B" * 40


def test_comments_blank_lines_and_case() -> None:
    text = f"# OFAC excerpt\n\n{A}  # a mixer\n{B},extra column\n"
    assert parse_list(text) == frozenset({A, B.lower()})


@pytest.mark.parametrize("line", ["0x123", "hello", "0x" + "z" * 40, A + "00"])
def test_a_bad_line_names_its_number(line: str) -> None:
    with pytest.raises(DataError, match="line 2"):
        parse_list(f"{A}\n{line}\n")


def test_files_are_read_and_bounded(tmp_path: Path) -> None:
    good = tmp_path / "list.txt"
    good.write_text(A + "\n")
    assert read_list(good) == frozenset({A})
    binary = tmp_path / "list.bin"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(DataError, match="UTF-8"):
        read_list(binary)
    with pytest.raises(DataError, match="cannot read"):
        read_list(tmp_path / "missing.txt")
