"""Loading Lending Club CSVs: real files, encoding by a spec, and every malformed input refused."""

from __future__ import annotations

import gzip
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fedlend.errors import DataError
from fedlend.settings import SHIPPED_LOANS
from fl.data import check_trainable, load_loans, parse_csv_text, sha256_hex
from fl.features import encode, month_index
from fl.spec import ModelSpec

HEADER = "id,issue_d,meets_credit_policy,default,loan_amnt,grade\n"


def test_shipped_file_loads_policy_population_and_hash() -> None:
    everything = load_loans(SHIPPED_LOANS, policy_only=False)
    policy = load_loans(SHIPPED_LOANS)
    assert len(everything) == 33_851
    assert len(policy) == 31_102
    assert set(policy["meets_credit_policy"]) == {"1"}
    digest = sha256_hex(SHIPPED_LOANS.read_bytes())
    assert digest == "3c799277a82cd36ab9ebf467e4e69751a77c3211356cecd809a8fe7f0501516b"


def test_plain_and_gzip_bytes_give_the_same_frame(tmp_path: Path) -> None:
    text = HEADER + "1,2010-01,1,0,5000,A\n2,2010-02,1,1,7000,B\n3,2010-02,0,1,100,C\n"
    plain = load_loans(text.encode())
    gz_path = tmp_path / "loans.csv.gz"
    gz_path.write_bytes(gzip.compress(text.encode()))
    assert plain.equals(load_loans(gz_path))
    assert list(plain["id"]) == ["1", "2"]  # the meets_credit_policy == 0 row is left out


def test_encoding_handles_missing_values_dates_and_unknown_categories(
    spec: ModelSpec, lender_frame: pd.DataFrame
) -> None:
    rows = lender_frame.head(3).copy()
    rows.iloc[0, rows.columns.get_loc("emp_length")] = np.nan
    rows.iloc[1, rows.columns.get_loc("addr_state")] = "ZZ"  # a state the lender never saw
    rows.iloc[2, rows.columns.get_loc("mths_since_last_delinq")] = np.nan
    encoded = encode(spec, rows)
    cols = spec.input_columns
    assert encoded.X.shape == (3, spec.n_inputs)
    assert encoded.X.dtype == np.float32
    assert np.isfinite(encoded.X).all()
    assert encoded.unknown_categories == {"addr_state": 1}
    state_cols = [i for i, c in enumerate(cols) if c.startswith("addr_state=")]
    assert encoded.X[1, state_cols].sum() == 0
    assert encoded.X[0, cols.index("emp_length__missing")] == 1
    assert encoded.X[2, cols.index("mths_since_last_delinq__missing")] == 1


def test_credit_history_is_months_before_issue() -> None:
    months = month_index(pd.Series(["2011-08", "Aug-2001", "1999-12-01", "bogus"]))
    assert months[0] - months[1] == 120
    assert months[0] - months[2] == 140
    assert np.isnan(months[3])


def _gzip_bomb() -> bytes:
    return gzip.compress(HEADER.encode() + b"1,2010-01,1,0,5," + b"A" * (3 << 20) + b"\n")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (HEADER.encode(), "no loans"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not CSV text"),
        (b"id,default\n1,0\n\xff\xfe\xfa\n", "not UTF-8"),
        (b"\x1f\x8b\x08\x00garbage", "corrupt"),
        (gzip.compress(HEADER.encode() + b"1,2010-01,1,0,5,A\n")[:-9], "corrupt"),
        (b"just one column\nvalue\n", "fewer than two columns"),
        (b"id,loan_amnt\n1,5000\n", "missing required column: default"),
        (HEADER.encode() + b"1,2010-01,1,maybe,5000,A\n", "must be 0 or 1"),
        (HEADER.encode() + b"1,2010-01,1,,5000,A\n", "every loan needs an outcome"),
        (b"a,a\n1,2\n", "duplicate column"),
        (HEADER.encode() + b'1,2010-01,1,0,"5000,A\n', "not a readable CSV"),
        (HEADER.encode() + b"1,2010-01,0,0,5000,A\n", "meets_credit_policy == 1"),
    ],
    ids=[
        "empty",
        "blank",
        "header-only",
        "binary",
        "not-utf8",
        "bad-gzip",
        "truncated-gzip",
        "one-column",
        "no-target",
        "bad-target",
        "empty-target",
        "dup-columns",
        "bad-quote",
        "no-policy-rows",
    ],
)
def test_malformed_files_are_refused_with_a_clear_message(content: bytes, message: str) -> None:
    with pytest.raises(DataError, match=message):
        load_loans(content)


def test_size_limits_refuse_large_files_and_gzip_bombs(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(HEADER.encode() + b"1,2010-01,1,0,5000,A\n" * 100)
    with pytest.raises(DataError, match=r"over the 1,000-byte limit"):
        load_loans(path, max_bytes=1000)
    from fl.data import decode_csv_bytes

    with pytest.raises(DataError, match="decompresses to over"):
        decode_csv_bytes(_gzip_bomb(), max_text_bytes=1 << 20)


@pytest.mark.parametrize("bad", ["missing", "directory"])
def test_unreadable_paths_are_refused(tmp_path: Path, bad: str) -> None:
    target = tmp_path / "nope.csv" if bad == "missing" else tmp_path
    with pytest.raises(DataError, match=r"no such file|is a directory"):
        load_loans(target)


def test_missing_spec_columns_are_all_named(spec: ModelSpec, lender_frame: pd.DataFrame) -> None:
    rows = lender_frame.head(5).drop(columns=["fico_range_low", "purpose", "issue_d"])
    with pytest.raises(DataError) as caught:
        encode(spec, rows)
    for column in ("fico_range_low", "purpose", "issue_d"):
        assert column in str(caught.value)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("loan_amnt", "lots", "column loan_amnt must hold a number"),
        ("dti", "12,5", "column dti must hold a number"),
        ("earliest_cr_line", "long ago", "must hold a month"),
    ],
)
def test_text_in_typed_columns_is_refused(
    spec: ModelSpec, lender_frame: pd.DataFrame, column: str, value: str, message: str
) -> None:
    rows = lender_frame.head(4).copy()
    rows.iloc[2, rows.columns.get_loc(column)] = value
    with pytest.raises(DataError, match=message) as caught:
        encode(spec, rows)
    assert "data row 3" in str(caught.value)


@pytest.fixture(scope="module")
def bomb_250mb() -> bytes:
    """A small .csv.gz of valid rows that expands to 250 MB (built by streaming, once)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [packer.compress(HEADER.encode())]
    chunk, written = b"1,2010-01,1,0,5000,A\n" * (1 << 16), 0
    while written < 250_000_000:
        parts.append(packer.compress(chunk))
        written += len(chunk)
    return b"".join([*parts, packer.flush()])


def test_a_gzip_bomb_is_refused_fast_without_expanding_it(bomb_250mb: bytes) -> None:
    assert len(bomb_250mb) < 2 << 20
    started = time.perf_counter()
    with pytest.raises(DataError, match="decompresses to over 33,554,432 bytes"):
        load_loans(bomb_250mb)
    assert time.perf_counter() - started < 5  # was 100-120 s on a 256 MB limit


def test_too_many_rows_are_refused_before_parsing() -> None:
    text = HEADER + "1,2010-01,1,0,5000,A\n" * 50
    with pytest.raises(DataError, match="over the limit of 10 loans"):
        parse_csv_text(text, max_rows=10)
    assert len(parse_csv_text(text, max_rows=50)) == 50


@pytest.mark.parametrize("newline", ["\r", "\r\n", "\n"])
def test_any_line_ending_reads_the_same(newline: str) -> None:
    rows = ["1,2010-01,1,0,5000,A", "2,2010-02,1,1,7000,B"]
    data = newline.join([HEADER.strip(), *rows]).encode()
    frame = load_loans(data)
    assert list(frame["loan_amnt"]) == ["5000", "7000"]
    assert list(frame["grade"]) == ["A", "B"]


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (np.array([1.0], dtype=np.float32), "only 1 loans: training needs at least 50"),
        (np.zeros(200, dtype=np.float32), "same outcome"),
        (None, "no default column"),
    ],
)
def test_too_little_data_is_refused_before_training(y: np.ndarray | None, message: str) -> None:
    with pytest.raises(DataError, match=message):
        check_trainable(y)
    check_trainable(np.array([0, 1] * 25, dtype=np.float32))
