"""The SQLite helper on real files: WAL, per-component migrations, one connection per thread."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from fedlend.errors import ConfigError
from fedlend.web.db import Database
from tests.apps.helpers import one_row

V1 = ["CREATE TABLE ledger (id INTEGER PRIMARY KEY, epsilon REAL NOT NULL)"]
V2 = [*V1, "ALTER TABLE ledger ADD COLUMN dataset TEXT NOT NULL DEFAULT ''"]


def test_wal_and_foreign_keys_are_on(tmp_path: Path) -> None:
    db = Database(tmp_path / "nested" / "app.sqlite3")
    assert one_row(db, "PRAGMA journal_mode")[0] == "wal"
    assert one_row(db, "PRAGMA foreign_keys")[0] == 1
    assert (tmp_path / "nested" / "app.sqlite3").exists()


def test_migrations_apply_once_and_append(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.sqlite3")
    assert db.migrate("owner", V1) == 1
    db.execute("INSERT INTO ledger (epsilon) VALUES (1.5)")
    assert db.migrate("owner", V1) == 1  # nothing re-run: the row is still there
    assert db.migrate("owner", V2) == 2
    assert [tuple(r) for r in db.query("SELECT epsilon, dataset FROM ledger")] == [(1.5, "")]
    assert db.migrate("jobs", ["CREATE TABLE j (x)"]) == 1  # components are independent


def test_a_done_migration_is_remembered_until_the_file_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    db = Database(path)
    db.migrate("owner", V1)
    db.close()
    with sqlite3.connect(path) as other:  # behind the helper's back: the version row goes
        other.execute("DELETE FROM schema_migrations")
    db.migrate("owner", V1)  # remembered: no write transaction (it would fail on the table)
    assert one_row(db, "SELECT COUNT(*) FROM schema_migrations")[0] == 0
    db.close()
    path.unlink()  # the file is deleted (or replaced) while the app runs
    assert db.migrate("owner", V1) == 1  # a new file: migrated again
    assert [tuple(r) for r in db.query("SELECT * FROM ledger")] == []


def test_a_newer_schema_than_the_code_is_refused(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.sqlite3")
    db.migrate("owner", V2)
    with pytest.raises(ConfigError, match="newer than this code"):
        db.migrate("owner", V1)


def test_a_failing_migration_rolls_back_whole(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.sqlite3")
    with pytest.raises(Exception, match="syntax error"):
        db.migrate("owner", [*V1, "CREATE TABLEX oops"])
    assert db.query_one("SELECT name FROM sqlite_master WHERE name = 'ledger'") is None
    assert db.migrate("owner", V1) == 1


def test_transaction_commits_or_rolls_back(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.sqlite3")
    db.migrate("owner", V1)
    with db.transaction() as conn:
        conn.execute("INSERT INTO ledger (epsilon) VALUES (1)")

    def insert_then_fail() -> None:
        with db.transaction() as conn:
            conn.execute("INSERT INTO ledger (epsilon) VALUES (2)")
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        insert_then_fail()
    assert [r["epsilon"] for r in db.query("SELECT epsilon FROM ledger")] == [1.0]


def test_each_thread_gets_its_own_connection_and_sees_commits(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.sqlite3")
    db.migrate("owner", V1)
    mine = db.connect()
    assert db.connect() is mine
    seen: list[object] = []

    def other() -> None:
        conn = db.connect()
        seen.append(conn is not mine)
        conn.execute("INSERT INTO ledger (epsilon) VALUES (3)")
        db.close()

    worker = threading.Thread(target=other)
    worker.start()
    worker.join()
    assert seen == [True]
    assert one_row(db, "SELECT epsilon FROM ledger")["epsilon"] == 3.0


def test_close_reopens_on_next_use(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.sqlite3")
    first = db.connect()
    db.close()
    assert db.connect() is not first
    db.close()
    db.close()  # closing twice is harmless


def test_unwritable_location_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match="set FEDLEND_HOME"):
        Database(blocker / "sub" / "app.sqlite3")
