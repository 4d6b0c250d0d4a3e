"""Read and check Lending Club CSVs (plain or gzip): size limit, schema, target, population."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from fedlend_core.errors import DataError

TARGET = "default"
POLICY_COLUMN = "meets_credit_policy"
POLICY_FLAGS = frozenset({"1", "1.0", "True", "true"})  # the values that mean "meets policy"
REFERENCE_DATE = "issue_d"
DEFAULT_MAX_CSV_BYTES = 64 << 20  # 64 MiB of file bytes (the shipped 33,851 loans gzip to ~2 MB)
DEFAULT_MAX_TEXT_BYTES = 32 << 20  # decompressed size limit (gzip bombs); the shipped loans: 6 MB
DEFAULT_MAX_ROWS = 200_000  # loans per file (the shipped data hold 33,851)
MIN_TRAINING_LOANS = 50  # fewer cannot be trained on with DP-SGD or scored meaningfully
GZIP_MAGIC = b"\x1f\x8b"

# Never features: identifiers, the outcome, and columns known only after the loan was issued.
LEAKAGE_COLUMNS = frozenset(
    {
        "id",
        "member_id",
        "url",
        "desc",
        "title",
        "loan_status",
        "issue_d",
        "policy_code",
        "pymnt_plan",
        "out_prncp",
        "out_prncp_inv",
        "total_pymnt",
        "total_pymnt_inv",
        "total_rec_prncp",
        "total_rec_int",
        "total_rec_late_fee",
        "recoveries",
        "collection_recovery_fee",
        "last_pymnt_d",
        "last_pymnt_amnt",
        "next_pymnt_d",
        "last_credit_pull_d",
        "last_fico_range_high",
        "last_fico_range_low",
        "initial_list_status",
        "funded_amnt_inv",
    }
)
LEAKAGE_PREFIXES = ("hardship_", "settlement_", "debt_settlement", "orig_projected", "payment_plan")


def is_leakage(column: str) -> bool:
    """True for columns that must never be model inputs (ids, outcome, post-origination data)."""
    name = column.strip().lower()
    return name in LEAKAGE_COLUMNS or name.startswith(LEAKAGE_PREFIXES)


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of some bytes: identifies an owner's dataset in the privacy ledger."""
    return hashlib.sha256(data).hexdigest()


def read_source(source: str | Path | bytes, *, max_bytes: int = DEFAULT_MAX_CSV_BYTES) -> bytes:
    """The raw bytes of a CSV given as a path or as bytes, refusing anything over max_bytes."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise DataError(_too_big(size, max_bytes))
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise DataError(f"no such file: {path}; check the path") from exc
        except IsADirectoryError as exc:
            raise DataError(f"{path} is a directory; give a CSV file") from exc
        except OSError as exc:
            raise DataError(f"cannot read {path}: {exc.strerror}") from exc
    if len(data) > max_bytes:
        raise DataError(_too_big(len(data), max_bytes))
    return data


def _too_big(size: int, limit: int) -> str:
    return (
        f"the file is {size:,} bytes, over the {limit:,}-byte limit; "
        "split it or upload a sample of your loans"
    )


def decode_csv_bytes(data: bytes, *, max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES) -> str:
    """CSV text from plain or gzip bytes; refuses empty, binary or oversized content."""
    if data[:2] == GZIP_MAGIC:
        data = _gunzip(data, max_text_bytes)
    if not data.strip():
        raise DataError("the file is empty; upload a CSV with a header row and at least one loan")
    if len(data) > max_text_bytes:
        raise DataError(_too_big(len(data), max_text_bytes))
    if b"\x00" in data[:65536]:
        raise DataError(
            "the file is not CSV text (it contains binary bytes); upload a .csv or .csv.gz"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"the file is not UTF-8 CSV text (bad byte at offset {exc.start}); "
            "save it as UTF-8 CSV and try again"
        ) from exc
    if "\r" in text:  # Windows (CR LF) and old Mac (CR only) line endings read the same
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _gunzip(data: bytes, limit: int) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            out = stream.read(limit + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"the gzip file is corrupt or truncated ({exc}); re-compress it") from exc
    if len(out) > limit:
        raise DataError(f"the file decompresses to over {limit:,} bytes; upload a smaller sample")
    return out


def parse_csv_text(text: str, *, max_rows: int = DEFAULT_MAX_ROWS) -> pd.DataFrame:
    """All cells as strings (missing = NaN), with a header check; types are decided later."""
    lines = text.count("\n")
    if lines > max_rows + 1:
        raise DataError(
            f"the file has about {lines:,} lines, over the limit of {max_rows:,} loans; "
            "upload a sample of your loans"
        )
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""], engine="c"
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError) as exc:
        raise DataError(
            f"the file is not a readable CSV ({_first_line(exc)}); check its format"
        ) from exc
    try:
        header = [c.strip() for c in next(csv.reader(io.StringIO(text)), [])]
    except csv.Error as exc:
        raise DataError(f"the CSV header cannot be read ({exc}); check its format") from exc
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise DataError(f"duplicate column names: {', '.join(dupes)}; rename them")
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame.columns) < 2:
        raise DataError("the file has fewer than two columns; is it a comma-separated CSV?")
    if frame.empty:
        raise DataError("the CSV has a header but no loans; add some rows")
    return frame


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def load_loans(
    source: str | Path | bytes,
    *,
    policy_only: bool = True,
    require_target: bool = True,
    max_bytes: int = DEFAULT_MAX_CSV_BYTES,
) -> pd.DataFrame:
    """A Lending Club CSV as a frame of strings, in the conventional population, target checked."""
    frame = parse_csv_text(decode_csv_bytes(read_source(source, max_bytes=max_bytes)))
    if policy_only and POLICY_COLUMN in frame.columns:
        frame = frame[meets_policy(frame)].reset_index(drop=True)
        if frame.empty:
            raise DataError(
                f"no loans with {POLICY_COLUMN} == 1; the model covers loans meeting credit policy"
            )
    if require_target:
        target_vector(frame)
    return frame


def meets_policy(frame: pd.DataFrame) -> pd.Series:
    """Per row: does it meet the credit policy (POLICY_COLUMN holds one of POLICY_FLAGS)?"""
    return frame[POLICY_COLUMN].fillna("").str.strip().isin(POLICY_FLAGS)


def check_trainable(y: np.ndarray | None, *, minimum: int = MIN_TRAINING_LOANS) -> None:
    """DataError unless there are enough labelled loans, with both outcomes, to train and score:
    checked before any privacy budget is spent on them."""
    if y is None:
        raise DataError(f"the data have no {TARGET} column: training needs each loan's outcome")
    if len(y) < minimum:
        raise DataError(
            f"only {len(y):,} loans: training needs at least {minimum} (with both outcomes); "
            "add more loans to this dataset"
        )
    if len(np.unique(y)) < 2:
        raise DataError(
            f"all {len(y):,} loans have the same outcome ({TARGET} = {int(y[0])}): training and "
            "scoring need defaulted and repaid loans"
        )


def target_vector(frame: pd.DataFrame) -> np.ndarray:
    """The 0/1 `default` column as float32; a DataError when absent, empty or not 0/1."""
    if TARGET not in frame.columns:
        raise DataError(f"missing required column: {TARGET} (1 = charged off, 0 = fully paid)")
    raw = frame[TARGET]
    if raw.isna().any():
        row = int(np.flatnonzero(raw.isna().to_numpy())[0]) + 2
        raise DataError(f"column {TARGET} is empty at line {row}; every loan needs an outcome")
    values = pd.to_numeric(raw.str.strip(), errors="coerce")
    bad = ~values.isin([0, 1])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"column {TARGET} must be 0 or 1; line {row + 2} has {raw.iloc[row]!r}")
    return values.to_numpy(dtype=np.float32)
