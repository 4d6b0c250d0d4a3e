"""An app's SQLite file (over fedlend/storage/sqlite.py): a connection per thread, migrations."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from fedlend.private_files import private_dir
from fedlend.storage import sqlite
from fedlend.storage.sqlite import Step


class Database:
    """One SQLite file shared by every thread of an app; each thread gets its own connection.

    Connections run in autocommit mode; group writes with `transaction()`. Each component that
    keeps tables here (the job runner, the lender app's bounty drafts, desk and auto-evaluate
    settings, signals) owns an ordered list of steps and calls `migrate(component, steps)`
    (fedlend.storage.sqlite.migrate). A role's records and the event cache keep their own files
    through the same layer; the privacy ledger (fl/, pure) keeps its own.
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
        with sqlite.transaction(conn, immediate=True):
            yield conn

    def execute(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Cursor:
        """Run one statement (autocommitted unless inside `transaction()`)."""
        return self.connect().execute(sql, params)

    def query(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        """All rows of a SELECT."""
        return self.connect().execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Row | None:
        """The first row of a SELECT, or None."""
        return self.connect().execute(sql, params).fetchone()

    def migrate(self, component: str, statements: Sequence[Step]) -> int:
        """Apply the statements of `component` not applied yet, in order; return its new version.

        Remembered per file: a page that asks on every row costs one write, not one per row
        (a file replaced or deleted since has another inode, and is migrated again)."""
        key = (component, len(statements), self._inode())
        if key in self._migrated:
            return len(statements)
        with self._migrate_lock:
            version = sqlite.migrate(self.connect(), component, statements)
        self._migrated.add((component, len(statements), self._inode()))
        return version

    def _inode(self) -> int | None:
        try:
            return self.path.stat().st_ino
        except OSError:
            return None

    def _open(self) -> sqlite3.Connection:
        return sqlite.connect(self.path, busy_timeout_s=self._busy_timeout_s)
