"""Blacklists: the shipped flagged addresses plus any plain-text list a user adds (one per line)."""

from __future__ import annotations

from pathlib import Path

from fedlend_core.bounded_file import FileLimit, read_bounded
from fedlend_core.errors import DataError
from signals.dataset import is_hex_address

MAX_LIST_BYTES = 16 << 20
LIST_FILE = FileLimit(
    MAX_LIST_BYTES, DataError, "the blacklist", "check the path, one address a line"
)


def parse_list(text: str, *, source: str = "the list") -> frozenset[str]:
    """Addresses from text: one per line, '#' starts a comment, blank lines ignored."""
    found: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip().split(",")[0].strip()
        if not entry:
            continue
        if not is_hex_address(entry):
            raise DataError(
                f"{source} line {number}: {entry[:50]!r} is not an address (0x + 40 hex digits); "
                "fix or remove that line"
            )
        found.add(entry.lower())
    return frozenset(found)


def read_list(path: str | Path) -> frozenset[str]:
    """A plain-text list from a file (size-bounded)."""
    file = Path(path)
    raw = read_bounded(file, LIST_FILE)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"the blacklist {file} is not UTF-8 text") from exc
    return parse_list(text, source=str(file))
