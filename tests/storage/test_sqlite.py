"""The one SQLite layer: every connection's pragmas, one migration runner, old files brought up."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from fedlend.errors import ConfigError
from fedlend.services.event_cache import EventCache
from fedlend.services.record_rows import EvaluationRow, SubmissionRow
from fedlend.services.records import (
    ADDED_COLUMNS,
    LENDER,
    OWNER,
    SCHEMA,
    TABLES,
    Records,
    migrations,
)
from fedlend.storage import sqlite
from fedlend.storage.rows import Row
from fedlend.types import Wei


def test_a_connection_is_wal_with_foreign_keys_a_busy_timeout_and_an_owner_only_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "a.sqlite3"
    db = sqlite.connect(path, busy_timeout_s=2.5)
    pragmas = [
        db.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "foreign_keys", "busy_timeout")
    ]
    assert pragmas == ["wal", 1, 2500]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert isinstance(db.execute("SELECT 1 AS one").fetchone(), sqlite3.Row)
    db.close()


def test_migrate_applies_each_step_once_in_order_sql_or_function(tmp_path: Path) -> None:
    calls: list[str] = []

    def backfill(db: sqlite3.Connection) -> None:
        calls.append("backfill")
        db.execute("INSERT INTO t (x) VALUES (1)")

    steps: list[sqlite.Step] = ["CREATE TABLE t (x INTEGER)", backfill]
    db = sqlite.connect(tmp_path / "a.sqlite3")
    assert sqlite.migrate(db, "c", steps) == 2
    assert sqlite.migrate(db, "c", [*steps, "ALTER TABLE t ADD COLUMN y"]) == 3
    assert sqlite.migrate(db, "c", [*steps, "ALTER TABLE t ADD COLUMN y"]) == 3
    assert calls == ["backfill"]
    assert [tuple(r) for r in db.execute("SELECT * FROM t")] == [(1, None)]


def test_a_failing_step_rolls_the_whole_migration_back(tmp_path: Path) -> None:
    db = sqlite.connect(tmp_path / "a.sqlite3")
    with pytest.raises(sqlite3.OperationalError):
        sqlite.migrate(db, "c", ["CREATE TABLE t (x)", "CREATE TABLEX oops"])
    assert db.execute("SELECT name FROM sqlite_master WHERE name = 't'").fetchone() is None
    assert sqlite.migrate(db, "c", ["CREATE TABLE t (x)"]) == 1


def test_a_file_that_is_not_a_database_is_a_config_error_saying_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"not a database at all" * 100)
    path.chmod(0o600)
    with pytest.raises(ConfigError, match="move it aside"):
        sqlite.connect(path)


def test_records_made_by_an_older_release_gain_the_added_columns(tmp_path: Path) -> None:
    path = tmp_path / "lender.sqlite"
    old = sqlite3.connect(path)
    old.executescript(SCHEMA)  # what the first release made: no migration table, no added columns
    old.close()
    Records(path, LENDER).upsert(_evaluation(share_bps=2500))
    db = sqlite.connect(path)
    columns = {r["name"] for r in db.execute("PRAGMA table_info(evaluations)")}
    assert {column for _, column, _ in ADDED_COLUMNS} <= columns
    version = db.execute("SELECT version FROM schema_migrations WHERE component = 'records-lender'")
    assert version.fetchone()[0] == len(migrations(LENDER))
    row = Records(path, LENDER).one(EvaluationRow, update_id=1)
    assert row is not None
    assert row.share_bps == 2500


def test_records_deleted_while_running_start_afresh(tmp_path: Path) -> None:
    path = tmp_path / "lender.sqlite"
    records = Records(path, LENDER)
    records.upsert(_evaluation())
    path.unlink()
    assert records.rows(EvaluationRow) == []


@pytest.mark.parametrize(
    ("role", "other"), [(LENDER, SubmissionRow), (OWNER, EvaluationRow)], ids=["lender", "owner"]
)
def test_each_role_keeps_only_its_own_tables(tmp_path: Path, role: str, other: type[Row]) -> None:
    records = Records(tmp_path / f"{role}.sqlite", role)
    db = sqlite.connect(records.path)
    tables = {r["name"] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables - {"schema_migrations"} == set(TABLES[role])
    with pytest.raises(ValueError, match=f"the {role}'s records keep no table '{other.TABLE}'"):
        records.rows(other)


def test_the_event_cache_opens_through_the_same_layer(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite3"
    EventCache(path)
    db = sqlite.connect(path)
    tables = {r["name"] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"events", "cursors", "schema_migrations"} <= tables


def _evaluation(share_bps: int = 0) -> EvaluationRow:
    return EvaluationRow(
        update_id=1,
        model_id=1,
        submitter="0x" + "1" * 40,
        status="accepted",
        score=7000,
        reward_wei=Wei(5),
        reason="",
        tx_hash="0x" + "2" * 64,
        gas_used=1,
        at=0.0,
        share_bps=share_bps,
    )
