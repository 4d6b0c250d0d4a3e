"""Etherscan-style CSV exports (normal transactions, ERC-20 token transfers) into a History."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from fedlend_core.errors import DataError
from signals.dataset import is_hex_address
from signals.history import MAX_RECORDS, History, TokenTransfer, Transaction

MAX_EXPORT_BYTES = 32 << 20
# Column aliases seen in Etherscan's exports over the years (first match wins).
COLUMNS: dict[str, tuple[str, ...]] = {
    "hash": ("Txhash", "Transaction Hash", "TxHash"),
    "block": ("Blockno", "Block Number", "BlockNo"),
    "time": ("UnixTimestamp", "Unix Timestamp"),
    "from": ("From",),
    "to": ("To",),
    "contract": ("ContractAddress", "Contract Address"),
    "value_in": ("Value_IN(ETH)",),
    "value_out": ("Value_OUT(ETH)",),
    "token_value": ("TokenValue", "Token Value", "Quantity"),
    "token_name": ("TokenSymbol", "TokenName", "Token Symbol"),
    "status": ("Status",),
}
NORMAL_NEEDS = ("hash", "block", "time", "from", "to", "value_in", "value_out")
TOKEN_NEEDS = ("hash", "block", "time", "from", "to", "contract", "token_value")
SHAPE_HELP = (
    "export it from Etherscan's address page ('Transactions' or 'Token Transfers (ERC-20)' tab, "
    "'Download CSV Export'): the file needs Txhash, Blockno, UnixTimestamp, From, To and "
    "Value_IN(ETH)/Value_OUT(ETH) (normal) or ContractAddress/TokenValue (tokens)"
)


def parse_exports(address: str, files: Sequence[tuple[str, bytes]]) -> History:
    """A History of `address` from one or more export files (each normal or token-transfer)."""
    me = address.lower()
    if not is_hex_address(me):
        raise DataError(f"{address[:60]!r} is not an address: 0x followed by 40 hex digits")
    txs: list[Transaction] = []
    transfers: list[TokenTransfer] = []
    skipped = 0
    for name, raw in files:
        kind, rows = _read(name, raw)
        for number, row in enumerate(rows, start=2):
            try:
                record = _transaction(row) if kind == "normal" else _transfer(row)
            except (ValueError, KeyError) as exc:
                raise DataError(f"{name} line {number}: {exc}; {SHAPE_HELP}") from exc
            if record is None or me not in (record.sender, record.receiver):
                skipped += 1
                continue
            if isinstance(record, Transaction):
                txs.append(record)
            else:
                transfers.append(record)
    notes = ["Etherscan exports do not say which recipients are contracts"]
    if skipped:
        notes.append(f"{skipped} row(s) skipped: failed, or not involving this address")
    return History(
        address=me,
        transactions=tuple(txs),
        transfers=tuple(transfers),
        source="Etherscan CSV export",
        notes=tuple(notes),
    )


def _read(name: str, raw: bytes) -> tuple[str, list[Mapping[str, str]]]:
    if len(raw) > MAX_EXPORT_BYTES:
        raise DataError(f"{name} is larger than {MAX_EXPORT_BYTES >> 20} MiB: split the export")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{name} is not UTF-8 text: {SHAPE_HELP}") from exc
    try:
        return _parse(name, csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise DataError(f"{name} is not a well-formed CSV ({exc}); {SHAPE_HELP}") from exc


def _parse(name: str, reader: csv.DictReader) -> tuple[str, list[Mapping[str, str]]]:
    header = [h.strip() for h in reader.fieldnames or []]
    mapping = {
        key: next((a for a in aliases if a in header), "") for key, aliases in COLUMNS.items()
    }
    kind = "token" if mapping["token_value"] else "normal"
    needs = TOKEN_NEEDS if kind == "token" else NORMAL_NEEDS
    missing = [COLUMNS[k][0] for k in needs if not mapping[k]]
    if missing:
        raise DataError(
            f"{name} is not an Etherscan transactions export (missing {', '.join(missing)}); "
            + SHAPE_HELP
        )
    rows: list[Mapping[str, str]] = []
    for row in reader:
        if len(rows) >= MAX_RECORDS:
            raise DataError(f"{name} has more than {MAX_RECORDS:,} rows: split the export")
        clean = {(k or "").strip(): (v or "").strip() for k, v in row.items() if isinstance(v, str)}
        rows.append({key: clean.get(col, "") for key, col in mapping.items() if col})
    return kind, rows


def _address(text: str, what: str, *, empty_ok: bool = False) -> str:
    if empty_ok and not text:
        return ""
    if not is_hex_address(text):
        raise ValueError(f"{what} {text[:50]!r} is not an address")
    return text.lower()


def _number(text: str, what: str) -> float:
    value = float(text.replace(",", "")) if text else 0.0
    if not value == value or value < 0 or value == float("inf"):  # NaN, negative, infinity
        raise ValueError(f"{what} {text[:30]!r} is not a non-negative number")
    return value


def _common(row: Mapping[str, str]) -> tuple[str, int, int]:
    tx_hash = row["hash"]
    if not (tx_hash.startswith("0x") and len(tx_hash) == 66):
        raise ValueError(f"transaction hash {tx_hash[:70]!r} is not 0x + 64 hex digits")
    return tx_hash.lower(), int(row["block"]), int(row["time"])


def _transaction(row: Mapping[str, str]) -> Transaction | None:
    if row.get("status", "").lower().startswith("error"):
        return None
    tx_hash, block, stamp = _common(row)
    value_in, value_out = (
        _number(row["value_in"], "Value_IN"),
        _number(row["value_out"], "Value_OUT"),
    )
    return Transaction(
        tx_hash=tx_hash,
        block=block,
        timestamp=stamp,
        sender=_address(row["from"], "From"),
        receiver=_address(row["to"], "To", empty_ok=True),
        value_eth=value_in or value_out,
        created=_address(row.get("contract", ""), "ContractAddress", empty_ok=True),
    )


def _transfer(row: Mapping[str, str]) -> TokenTransfer:
    tx_hash, block, stamp = _common(row)
    token = _address(row["contract"], "ContractAddress")
    return TokenTransfer(
        tx_hash=tx_hash,
        block=block,
        timestamp=stamp,
        token=token,
        sender=_address(row["from"], "From"),
        receiver=_address(row["to"], "To"),
        amount=_number(row["token_value"], "TokenValue"),
        token_name=row.get("token_name", "")[:64] or token,
    )
