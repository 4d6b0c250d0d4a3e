"""Reused SQLite connections to one file: a page borrows one instead of opening its own."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fedlend.storage import sqlite

MAX_IDLE = 8  # connections kept open between uses (werkzeug starts a thread per request)


class ConnectionPool:
    """Idle connections (fedlend.storage.sqlite.connect) to one file, lent out one user at a time;
    `reset()` (the file was deleted or replaced) closes them, and connections lent before it are
    closed on return."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._generation = 0

    @contextmanager
    def borrowed(self) -> Iterator[sqlite3.Connection]:
        """A borrowed autocommit connection, returned afterwards (for `sqlite.migrate`)."""
        with self._lock:
            generation = self._generation
            db = self._idle.pop() if self._idle else None
        if db is None:
            db = sqlite.connect(self.path, check_same_thread=False)
        healthy = False
        try:
            yield db
            healthy = not db.in_transaction
        finally:
            self._give_back(db, generation, healthy)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A borrowed connection in one transaction: committed on success, rolled back on error."""
        with self.borrowed() as db, sqlite.transaction(db):
            yield db

    def reset(self) -> None:
        """Close every idle connection (the next use opens the file afresh)."""
        with self._lock:
            self._generation += 1
            idle, self._idle = self._idle, []
        for db in idle:
            db.close()

    def _give_back(self, db: sqlite3.Connection, generation: int, healthy: bool) -> None:
        with self._lock:
            keep = healthy and generation == self._generation and len(self._idle) < MAX_IDLE
            if keep:
                self._idle.append(db)
        if not keep:
            db.close()
