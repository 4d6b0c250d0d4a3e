"""The shipped labelled Ethereum addresses: bounded loading, column checks, artifact masks."""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fedlend_core.bounded_file import FileLimit, read_bounded
from fedlend_core.errors import DataError

ADDRESS = "Address"
FLAG = "FLAG"
DATA_FILE = (
    Path(__file__).resolve().parent.parent / "data/ethereum_addresses/eth_addresses_dev.csv.gz"
)
MAX_CSV_BYTES = 64 << 20
CSV_FILE = FileLimit(MAX_CSV_BYTES, DataError, "", "check the path; split a larger file")
MAX_ROWS = 200_000

# Every column the models may use, in the shipped data's spelling (constant columns left out;
# `ERC20 uniq sent addr.1` is undocumented upstream and left out too).
FEATURES: tuple[str, ...] = (
    "Avg min between sent tnx",
    "Avg min between received tnx",
    "Time Diff between first and last (Mins)",
    "Sent tnx",
    "Received Tnx",
    "Number of Created Contracts",
    "Unique Received From Addresses",
    "Unique Sent To Addresses",
    "min value received",
    "max value received",
    "avg val received",
    "min val sent",
    "max val sent",
    "avg val sent",
    "min value sent to contract",
    "max val sent to contract",
    "avg value sent to contract",
    "total transactions (including tnx to create contract",
    "total Ether sent",
    "total ether received",
    "total ether sent contracts",
    "total ether balance",
    "Total ERC20 tnxs",
    "ERC20 total Ether received",
    "ERC20 total ether sent",
    "ERC20 total Ether sent contract",
    "ERC20 uniq sent addr",
    "ERC20 uniq rec addr",
    "ERC20 uniq rec contract addr",
    "ERC20 min val rec",
    "ERC20 max val rec",
    "ERC20 avg val rec",
    "ERC20 min val sent",
    "ERC20 max val sent",
    "ERC20 avg val sent",
    "ERC20 uniq sent token name",
    "ERC20 uniq rec token name",
)
ERC20_BLOCK = tuple(c for c in FEATURES if c.startswith(("ERC20", "Total ERC20")))
ERC20_MISSING = "ERC20 block missing"  # the artifact indicator (only ever true for FLAG=1)


@dataclass(frozen=True)
class AddressData:
    """Addresses, their features (NaN where missing), labels and the two artifact masks."""

    addresses: tuple[str, ...]
    features: pd.DataFrame
    labels: np.ndarray
    erc20_missing: np.ndarray
    no_normal_tx: np.ndarray

    @property
    def artifact(self) -> np.ndarray:
        """Rows showing either known artifact (empty ERC20 block, zero normal transactions)."""
        return self.erc20_missing | self.no_normal_tx

    def subset(self, mask: np.ndarray) -> AddressData:
        """The rows where mask is true."""
        return AddressData(
            tuple(a for a, keep in zip(self.addresses, mask, strict=True) if keep),
            self.features[mask].reset_index(drop=True),
            self.labels[mask],
            self.erc20_missing[mask],
            self.no_normal_tx[mask],
        )


def read_feature_csv(path: str | Path, *, labelled: bool) -> pd.DataFrame:
    """A CSV (or .csv.gz) of address features, size-bounded, with the needed columns numeric."""
    raw = _read_bounded(Path(path))
    try:
        frame = pd.read_csv(io.BytesIO(raw), nrows=MAX_ROWS + 1, low_memory=False)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(
            f"{path} is not a readable CSV ({exc}); export it again as UTF-8 CSV"
        ) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame) > MAX_ROWS:
        raise DataError(f"{path} has more than {MAX_ROWS:,} rows: split it into smaller files")
    needed = [ADDRESS, *FEATURES, *([FLAG] if labelled else [])]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path} lacks {len(missing)} needed column(s), e.g. {missing[:3]}: it must have the "
            "shipped data's columns (see data/ethereum_addresses/README.md)"
        )
    if frame.empty:
        raise DataError(f"{path} has no rows")
    for column in [*FEATURES, *([FLAG] if labelled else [])]:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() & frame[column].notna()
        if bad.any():
            raise DataError(
                f"{path}: column {column!r} has non-numeric values (row {bad.idxmax()})"
            )
        frame[column] = values.astype(float)
    frame[ADDRESS] = frame[ADDRESS].astype(str)
    return frame


def load_addresses(path: str | Path = DATA_FILE) -> AddressData:
    """The shipped labelled addresses (or a file in the same shape)."""
    frame = read_feature_csv(path, labelled=True)
    labels = frame[FLAG].to_numpy()
    if not np.isin(labels, (0, 1)).all():
        raise DataError(f"{path}: FLAG must be 0 or 1")
    features = frame[list(FEATURES)].reset_index(drop=True)
    return AddressData(
        addresses=tuple(frame[ADDRESS]),
        features=features,
        labels=labels.astype(int),
        erc20_missing=features[list(ERC20_BLOCK)].isna().all(axis=1).to_numpy(),
        no_normal_tx=((features["Sent tnx"] + features["Received Tnx"]).fillna(0) == 0).to_numpy(),
    )


def flagged_addresses(data: AddressData) -> frozenset[str]:
    """The flagged, well-formed (0x + 40 hex) addresses, lower-case: the shipped blacklist."""
    return frozenset(
        a.lower()
        for a, flag in zip(data.addresses, data.labels, strict=True)
        if flag == 1 and is_hex_address(a)
    )


def is_hex_address(text: str) -> bool:
    """0x followed by exactly 40 hex digits (any case)."""
    return (
        len(text) == 42
        and text[:2] in ("0x", "0X")
        and all(c in "0123456789abcdefABCDEF" for c in text[2:])
    )


def _read_bounded(path: Path) -> bytes:
    raw = read_bounded(path, CSV_FILE)
    if raw[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as gz:
                raw = gz.read(MAX_CSV_BYTES * 4 + 1)
        except (OSError, EOFError) as exc:
            raise DataError(f"{path} is not valid gzip: {exc}") from exc
        if len(raw) > MAX_CSV_BYTES * 4:
            raise DataError(f"{path} unpacks to more than {MAX_CSV_BYTES * 4 >> 20} MiB: split it")
    return raw
