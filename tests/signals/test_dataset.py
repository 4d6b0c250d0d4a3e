"""The shipped addresses load as the README describes; malformed feature files are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedlend.errors import DataError
from signals.dataset import FEATURES, AddressData, flagged_addresses, read_feature_csv


def test_shipped_counts_match_the_readme(address_data: AddressData) -> None:
    assert len(address_data.addresses) == 7874
    assert int(address_data.labels.sum()) == 1765
    # Both artifacts occur only in flagged rows.
    assert address_data.labels[address_data.erc20_missing].min() == 1
    assert address_data.labels[address_data.no_normal_tx].min() == 1
    assert 0 < address_data.artifact.sum() < address_data.labels.sum()


def test_blacklist_holds_only_well_formed_flagged_addresses(address_data: AddressData) -> None:
    blacklist = flagged_addresses(address_data)
    # The README's 5 malformed addresses are all flagged and stay off the blacklist.
    assert len(blacklist) == 1765 - 5
    assert all(len(a) == 42 and a == a.lower() for a in blacklist)


def _write(path: Path, header: list[str], row: list[str]) -> Path:
    path.write_text(",".join(header) + "\n" + ",".join(row) + "\n")
    return path


@pytest.mark.parametrize(
    ("header", "row", "message"),
    [
        (["Address", "Sent tnx"], ["0x" + "1" * 40, "3"], "lacks"),
        (
            ["Address", *FEATURES],
            ["0x" + "1" * 40, "many", *["0"] * (len(FEATURES) - 1)],
            "non-numeric",
        ),
        (["Address", *FEATURES], [], "no rows"),
    ],
)
def test_malformed_feature_files_are_refused(
    tmp_path: Path, header: list[str], row: list[str], message: str
) -> None:
    path = tmp_path / "f.csv"
    path.write_text(",".join(header) + "\n" + (",".join(row) + "\n" if row else ""))
    with pytest.raises(DataError, match=message):
        read_feature_csv(path, labelled=False)


def test_binary_garbage_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "f.csv.gz"
    path.write_bytes(b"\x1f\x8b" + b"\x00garbage" * 10)
    with pytest.raises(DataError, match="gzip"):
        read_feature_csv(path, labelled=False)
