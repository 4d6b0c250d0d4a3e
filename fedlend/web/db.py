"""Tiny SQLite helper: one file per app, WAL, per-component migrations, a connection per thread."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from fedlend.errors import ConfigError
from fedlend.private_files import private_dir, private_file

_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    component TEXT PRIMARY KEY,
    version INTEGER NOT NULL
)
"""


class Database:
    """One SQLite file shared by every thread of an app; each thread gets its own connection.

    Connections run in autocommit mode; group writes with `transaction()`. Each component that
    keeps tables here (the job runner, the lender app's bounty drafts and auto-evaluate settings)
    owns an ordered list of SQL statements and calls `migrate(component, statements)`: statements
    already applied are skipped, so append new ones to the end of the list and never edit applied
    ones. (A role's records, the event cache and the privacy ledger keep their own SQLite files.)
    """

    def __init__(self, path: Path, *, busy_timeout_s: float = 10.0) -> None:
        self.path = Path(path)
        self._busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._migrate_lock = threading.Lock()
        self._migrated: set[tuple[str, int, int | None]] = set()
        private_dir(self.path.parent)

    def connect(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use), rows as sqlite3.Row."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Close this thread's connection, if it has one (it reopens on next use)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            self._local.conn = None
            conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK if the block raises."""
        conn = self.connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def execute(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Cursor:
        """Run one statement (autocommitted unless inside `transaction()`)."""
        return self.connect().execute(sql, params)

    def query(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        """All rows of a SELECT."""
        return self.connect().execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Row | None:
        """The first row of a SELECT, or None."""
        return self.connect().execute(sql, params).fetchone()

    def migrate(self, component: str, statements: Sequence[str]) -> int:
        """Apply the statements of `component` not applied yet, in order; return its new version.

        Remembered per file: a page that asks on every row costs one write, not one per row
        (a file replaced or deleted since has another inode, and is migrated again)."""
        key = (component, len(statements), self._inode())
        if key in self._migrated:
            return len(statements)
        with self._migrate_lock, self.transaction() as conn:
            conn.execute(_MIGRATIONS_TABLE)
            row = conn.execute(
                "SELECT version FROM schema_migrations WHERE component = ?", (component,)
            ).fetchone()
            done = row["version"] if row else 0
            if done > len(statements):
                raise ConfigError(
                    f"{self.path} has {component} schema version {done}, newer than this "
                    f"code's {len(statements)}: upgrade fedlend or use another FEDLEND_HOME"
                )
            for statement in statements[done:]:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (component, version) VALUES (?, ?) "
                "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                (component, len(statements)),
            )
        self._migrated.add((component, len(statements), self._inode()))
        return len(statements)

    def _inode(self) -> int | None:
        try:
            return self.path.stat().st_ino
        except OSError:
            return None

    def _open(self) -> sqlite3.Connection:
        try:
            private_file(self.path)
            conn = sqlite3.connect(
                self.path,
                timeout=self._busy_timeout_s,
                isolation_level=None,
                check_same_thread=True,
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise ConfigError(
                f"cannot open the database {self.path}: {exc}; check the file's permissions "
                "or move it aside (it is rebuilt from chain events)"
            ) from exc
        return conn
