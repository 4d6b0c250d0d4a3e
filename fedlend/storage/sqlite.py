"""The one SQLite layer: connect (WAL, busy timeout, foreign keys, rows), transactions, migrations.

Every SQLite file fedlend keeps (each app's database, a role's records, the event cache) opens
here. A component that keeps tables owns an ordered list of steps (SQL text, or a function of the
connection for what SQL cannot say idempotently) and calls `migrate`: steps already applied are
skipped, so append new ones to the end and never edit applied ones.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from fedlend.errors import ConfigError
from fedlend.private_files import private_file

BUSY_TIMEOUT_S = 30.0
Step = str | Callable[[sqlite3.Connection], None]
_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    component TEXT PRIMARY KEY,
    version INTEGER NOT NULL
)
"""


def connect(
    path: Path, *, busy_timeout_s: float = BUSY_TIMEOUT_S, check_same_thread: bool = True
) -> sqlite3.Connection:
    """An autocommit connection to `path` (created owner-only), WAL, foreign keys, sqlite3.Row."""
    try:
        private_file(path)
        conn = sqlite3.connect(
            path,
            timeout=busy_timeout_s,
            isolation_level=None,
            check_same_thread=check_same_thread,
        )
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(
            f"cannot open the database {path}: {exc}; check the file's permissions "
            "or move it aside (it is rebuilt from chain events)"
        ) from exc
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection, *, immediate: bool = False) -> Iterator[None]:
    """BEGIN (IMMEDIATE: take the write lock now) ... COMMIT, or ROLLBACK if the block raises."""
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def session(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection for one transaction: committed on success, rolled back on error, closed."""
    conn = connect(path)
    try:
        with transaction(conn):
            yield conn
    finally:
        conn.close()


def migrate(conn: sqlite3.Connection, component: str, steps: Sequence[Step]) -> int:
    """Apply the steps of `component` not applied yet, in one transaction; its new version."""
    with transaction(conn, immediate=True):
        conn.execute(_MIGRATIONS_TABLE)
        row = conn.execute(
            "SELECT version FROM schema_migrations WHERE component = ?", (component,)
        ).fetchone()
        done = row["version"] if row else 0
        if done > len(steps):
            raise ConfigError(
                f"{_where(conn)} has {component} schema version {done}, newer than this "
                f"code's {len(steps)}: upgrade fedlend or use another FEDLEND_HOME"
            )
        for step in steps[done:]:
            if isinstance(step, str):
                conn.execute(step)
            else:
                step(conn)
        conn.execute(
            "INSERT INTO schema_migrations (component, version) VALUES (?, ?) "
            "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
            (component, len(steps)),
        )
    return len(steps)


def _where(conn: sqlite3.Connection) -> str:
    """The file behind `conn` (for messages)."""
    row = conn.execute("PRAGMA database_list").fetchone()
    return str(row["file"]) if row is not None else "the database"
