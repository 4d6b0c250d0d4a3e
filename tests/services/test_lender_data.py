"""The lender's own loans on this machine: the reproducible split, the kept file, its checks."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from fedlend.errors import DataError, NotFoundError, SpecError
from fedlend.services.catalog import VALIDATION_SHA256
from fedlend.services.lender_data import (
    BASE_META,
    base_meta_of,
    dataset_path,
    keep_dataset,
    labelled,
    read_validation,
    split_own_data,
)
from fl.data import load_loans
from fl.features import EncodedData, SpecOptions, build_spec, encode
from fl.spec import ModelSpec


def _spec(data: bytes, base_meta: str) -> ModelSpec:
    sha = hashlib.sha256(data).hexdigest()
    return build_spec(load_loans(data), SpecOptions()).with_metadata(
        **{VALIDATION_SHA256: sha, BASE_META: base_meta}
    )


def test_the_split_is_reproducible_from_the_hash_and_disjoint(small_lender_csv: bytes) -> None:
    frame, sha = load_loans(small_lender_csv), hashlib.sha256(small_lender_csv).hexdigest()
    train, val = split_own_data(frame, sha, base_meta_of("own-data", 0.25))
    again, _ = split_own_data(frame, sha, "own-data:0.25")
    other, _ = split_own_data(frame, "f" * 64, "own-data:0.25")
    assert train is not None
    assert again is not None
    assert other is not None
    assert (len(train), len(val)) == (16, 48)
    assert set(train.index).isdisjoint(val.index)
    assert list(train.index) == list(again.index)
    assert list(train.index) != list(other.index)
    assert split_own_data(frame, sha, base_meta_of("zero", 0.25)) == (None, frame)


@pytest.mark.parametrize(
    ("base_meta", "error"),
    [("own-data:half", SpecError), ("own-data:0.001", DataError), ("own-data:1", DataError)],
)
def test_a_bad_split_is_refused(
    small_lender_csv: bytes, base_meta: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        split_own_data(load_loans(small_lender_csv), "0" * 64, base_meta)


def test_the_kept_file_is_written_once_in_a_private_folder(
    tmp_path: Path, small_lender_csv: bytes
) -> None:
    sha = keep_dataset(tmp_path, small_lender_csv)
    path = dataset_path(tmp_path, sha)
    assert sha == hashlib.sha256(small_lender_csv).hexdigest()
    assert path.read_bytes() == small_lender_csv
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert keep_dataset(tmp_path, small_lender_csv) == sha
    assert sorted(p.name for p in path.parent.iterdir()) == [f"{sha}.csv"]


def test_the_validation_part_is_read_back_as_posted(
    tmp_path: Path, small_lender_csv: bytes
) -> None:
    spec = _spec(small_lender_csv, "own-data:0.5")
    keep_dataset(tmp_path, small_lender_csv)
    _, expected = split_own_data(
        load_loans(small_lender_csv), spec.metadata[VALIDATION_SHA256], "own-data:0.5"
    )
    got = read_validation(tmp_path, spec)
    pd.testing.assert_frame_equal(got, expected)
    X, y = labelled(encode(spec, got))
    assert X.shape[0] == len(y) == 32


def test_a_missing_or_modified_validation_file_says_what_to_do(
    tmp_path: Path, small_lender_csv: bytes
) -> None:
    spec = _spec(small_lender_csv, "zero")
    with pytest.raises(NotFoundError, match="open the lender app on the machine"):
        read_validation(tmp_path, spec)
    sha = keep_dataset(tmp_path, small_lender_csv)
    dataset_path(tmp_path, sha).write_bytes(small_lender_csv + b"\n")
    with pytest.raises(DataError, match="was modified since the model was posted; restore it"):
        read_validation(tmp_path, spec)


def test_unlabelled_data_is_refused(small_lender_csv: bytes) -> None:
    encoded = encode(_spec(small_lender_csv, "zero"), load_loans(small_lender_csv))
    with pytest.raises(DataError, match="no `default` labels"):
        labelled(EncodedData(encoded.X, None))
