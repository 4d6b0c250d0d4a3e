"""Files from strangers: read at most `limit` bytes, so an oversized file is refused, never held."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fedlend_core.errors import FedlendError


@dataclass(frozen=True)
class FileLimit:
    """How to read one kind of file: its byte limit, the error to raise, what to call it, advice."""

    limit: int
    error: type[FedlendError]
    what: str  # how messages name the file, e.g. "the blacklist"
    advice: str  # what to do, ending each message


def read_bounded(path: Path, kind: FileLimit) -> bytes:
    """The bytes of `path`; kind.error naming the file and what to do if unreadable or too large."""
    name = f"{kind.what} {path}".strip()
    try:
        with path.open("rb") as handle:
            raw = handle.read(kind.limit + 1)
    except OSError as exc:
        raise kind.error(f"cannot read {name} ({exc.strerror or exc}): {kind.advice}") from exc
    if len(raw) > kind.limit:
        raise kind.error(f"{name} is larger than {_size(kind.limit)}: {kind.advice}")
    return raw


def _size(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit:,} bytes"
