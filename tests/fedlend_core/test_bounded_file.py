"""read_bounded: the bytes of a file within its limit; a named error with advice otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedlend_core.bounded_file import FileLimit, read_bounded
from fedlend_core.errors import DataError, SpecError

SMALL = FileLimit(16, DataError, "the list", "check the path")


def test_a_file_within_the_limit_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_bytes(b"x" * 16)
    assert read_bounded(path, SMALL) == b"x" * 16


@pytest.mark.parametrize(
    ("kind", "size", "message"),
    [
        (SMALL, 17, r"the list .*list.txt is larger than 16 bytes: check the path"),
        (FileLimit(1 << 20, SpecError, "", "split it"), (1 << 20) + 1, r"larger than 1 MiB: split"),
        (SMALL, None, r"cannot read the list .*list.txt \(No such file or directory\)"),
    ],
)
def test_an_oversized_or_missing_file_is_named_with_advice(
    tmp_path: Path, kind: FileLimit, size: int | None, message: str
) -> None:
    path = tmp_path / "list.txt"
    if size is not None:
        path.write_bytes(b"x" * size)
    with pytest.raises(kind.error, match=message):
        read_bounded(path, kind)
