"""Each role's local records in SQLite: a cache of work done, rebuildable from chain and storage."""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from fedlend.errors import DamagedRecordError
from fedlend.services.record_rows import (
    DatasetRow,
    EvaluationRow,
    NonceRow,
    RoundRow,
    SubmissionRow,
)
from fedlend.storage import sqlite
from fedlend.storage.rows import R, Row, columns, decode, encode
from fedlend.storage.sqlite import Step
from fedlend.storage.sqlite_pool import ConnectionPool

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS evaluations (
  update_id INTEGER PRIMARY KEY, model_id INTEGER NOT NULL, submitter TEXT NOT NULL,
  status TEXT NOT NULL, score INTEGER NOT NULL, reward_wei TEXT NOT NULL, reason TEXT NOT NULL,
  epsilon REAL, delta REAL, n_examples INTEGER, metrics TEXT NOT NULL, contribution REAL,
  nonce TEXT, tx_hash TEXT NOT NULL, gas_used INTEGER NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS evaluations_model ON evaluations (model_id);
CREATE TABLE IF NOT EXISTS rounds (
  tx_hash TEXT PRIMARY KEY, model_id INTEGER NOT NULL, score INTEGER NOT NULL,
  best_before INTEGER NOT NULL, base_score INTEGER NOT NULL, payout_wei TEXT NOT NULL,
  updates INTEGER NOT NULL, accepted INTEGER NOT NULL, method TEXT NOT NULL,
  permutations INTEGER NOT NULL, weights_before TEXT NOT NULL, gas_used INTEGER NOT NULL,
  at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS rounds_model ON rounds (model_id);
CREATE TABLE IF NOT EXISTS submissions (
  update_id INTEGER PRIMARY KEY, model_id INTEGER NOT NULL, dataset TEXT NOT NULL,
  digest TEXT NOT NULL, epsilon REAL NOT NULL, delta REAL NOT NULL, n_examples INTEGER NOT NULL,
  local_before REAL, local_after REAL, tx_hash TEXT NOT NULL, gas_used INTEGER NOT NULL,
  at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS nonces (
  update_id INTEGER PRIMARY KEY, model_id INTEGER NOT NULL, nonce TEXT);
CREATE TABLE IF NOT EXISTS datasets (
  sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, path TEXT NOT NULL, rows INTEGER NOT NULL,
  at REAL NOT NULL);
"""
# columns added after the first release: (table, column, declaration), added if missing
ADDED_COLUMNS = [
    ("evaluations", "share_bps", "INTEGER NOT NULL DEFAULT 0"),
    ("evaluations", "std_error", "REAL NOT NULL DEFAULT 0"),
]
INDEXES = "CREATE INDEX IF NOT EXISTS evaluations_nonce ON evaluations (model_id, nonce);"


def _add_missing_columns(db: sqlite3.Connection) -> None:
    """ADDED_COLUMNS on a file an older release made (which had no migration table yet)."""
    for table, column, declaration in ADDED_COLUMNS:
        present = {r["name"] for r in db.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


LENDER, OWNER = "lender", "owner"
KINDS: dict[str, tuple[type[Row], ...]] = {
    LENDER: (EvaluationRow, RoundRow, NonceRow),
    OWNER: (SubmissionRow, DatasetRow),
}
TABLES = {role: tuple(kind.TABLE for kind in kinds) for role, kinds in KINDS.items()}
_NAMED = re.compile(r"(?:TABLE IF NOT EXISTS|ON)\s+(\w+)")


def migrations(role: str) -> list[Step]:
    """One role's steps: the CREATEs of its own tables (and, for the lender, the later columns
    and the nonce index of its evaluations)."""
    statements = [statement.strip() for statement in SCHEMA.split(";") if statement.strip()]
    steps: list[Step] = [s for s in statements if _table_of(s) in TABLES[role]]
    if role == LENDER:
        steps += [_add_missing_columns, INDEXES]
    return steps


def _table_of(statement: str) -> str:
    found = _NAMED.search(statement)
    return found.group(1) if found else ""


class Records:
    """A tiny typed row store over one SQLite file (WAL, pooled connections, thread-safe) holding
    one role's tables (TABLES: the lender's evaluations, rounds and nonces; the owner's
    submissions and datasets), each read and written as its row type (record_rows)."""

    def __init__(self, path: Path, role: str) -> None:
        if role not in TABLES:
            raise ValueError(f"records are kept for {sorted(TABLES)}, not {role!r}")
        self.path = path
        self.role = role
        self._lock = threading.Lock()
        self._pool = ConnectionPool(path)
        self._ensure_schema()

    def _ensure_schema(self) -> None:
        self._pool.reset()  # connections to a deleted file would read and write nothing useful
        with self._pool.borrowed() as db:
            sqlite.migrate(db, f"records-{self.role}", migrations(self.role))

    def _db(self) -> AbstractContextManager[sqlite3.Connection]:
        if not self.path.exists():  # deleted while running: start afresh, never a broken page
            self._ensure_schema()
        return self._pool.transaction()

    def upsert(self, row: Row) -> None:
        """Insert or replace one row."""
        self.upsert_many([row])

    def upsert_many(self, rows: Sequence[Row]) -> None:
        """Insert or replace several rows of one type in ONE transaction (all or nothing)."""
        if not rows:
            return
        kind = type(rows[0])
        if any(type(r) is not kind for r in rows):
            raise TypeError("upsert_many takes rows of one type")
        cols = list(columns(kind))
        marks = ", ".join("?" for _ in cols)
        # table and column names come from the row type; values are bound parameters
        sql = f"INSERT OR REPLACE INTO {self._table(kind)} ({', '.join(cols)}) VALUES ({marks})"  # noqa: S608
        values = [list(encode(row).values()) for row in rows]
        with self._lock, self._db() as db:
            db.executemany(sql, values)

    def seen_nonces(self, model_id: int, judged_ids: frozenset[int] | set[int]) -> set[str]:
        """Nonces of this model's updates whose evaluation the chain still holds.

        A row whose on-chain evaluation is gone (a chain restart or reorg rolled it back) does
        not count, so that update can be judged again rather than refused as a replay. Nonces
        rebuilt from the store (the `nonces` table) count alike.
        """
        return {n for i, n in self._nonces(model_id).items() if n and i in judged_ids}

    def nonce_ids(self, model_id: int) -> set[int]:
        """Updates of this model whose nonce is known here (or known to be unreadable).

        A damaged row does not count, so its update's nonce is re-read from the store."""
        return set(self._nonces(model_id))

    def _nonces(self, model_id: int) -> dict[int, str | None]:
        out: dict[int, str | None] = {}
        kinds: tuple[type[EvaluationRow | NonceRow], ...] = (EvaluationRow, NonceRow)
        for kind in kinds:
            for r in self.rows(kind, model_id=model_id):
                out[r.update_id] = out.get(r.update_id) or r.nonce
        return out

    def rows(self, kind: type[R], *, order: str = "rowid", **where: object) -> list[R]:
        """Rows of `kind` matching equality filters; a damaged row is logged and left out (the
        others still read), so a page built from them still shows."""
        out = []
        for row in self._select(kind, where, order):
            try:
                out.append(decode(kind, row))
            except DamagedRecordError as exc:
                log.warning("%s: %s", self.path, exc)
        return out

    def one(self, kind: type[R], **where: object) -> R | None:
        """The first matching row, or None; DamagedRecordError (saying why) if it is damaged."""
        found = self._select(kind, where, "rowid", limit=1)
        return decode(kind, found[0]) if found else None

    def _select(
        self, kind: type[Row], where: Mapping[str, object], order: str, limit: int = -1
    ) -> list[dict[str, object]]:
        known = columns(kind)
        for name in (*where, order):
            if name not in known and name != "rowid":
                raise ValueError(f"{kind.TABLE} has no column {name!r}")
        clause = " AND ".join(f"{k} = ?" for k in where) or "1"
        # the table and column names are the row type's own; values are bound parameters
        sql = f"SELECT * FROM {self._table(kind)} WHERE {clause} ORDER BY {order} LIMIT ?"  # noqa: S608
        with self._db() as db:
            return [dict(r) for r in db.execute(sql, [*where.values(), limit])]

    def _table(self, kind: type[Row]) -> str:
        if kind.TABLE not in TABLES[self.role]:
            raise ValueError(f"the {self.role}'s records keep no table {kind.TABLE!r}")
        return kind.TABLE
