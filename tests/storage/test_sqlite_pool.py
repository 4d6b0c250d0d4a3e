"""Pooled SQLite connections: reused between pages, dropped when the file goes or a use fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from fedlend.services.record_rows import NonceRow
from fedlend.services.records import LENDER, Records
from fedlend.storage.sqlite_pool import ConnectionPool


def test_a_connection_is_reused_and_reset_drops_it(tmp_path: Path) -> None:
    pool = ConnectionPool(tmp_path / "a.sqlite")
    with pool.transaction() as first:
        first.execute("CREATE TABLE t (x)")
    with pool.transaction() as again:
        assert again is first  # no new open per page
        again.execute("INSERT INTO t VALUES (1)")
    pool.reset()
    with pool.transaction() as fresh:
        assert fresh is not first
        assert fresh.execute("SELECT x FROM t").fetchall()[0][0] == 1  # committed before


def test_a_failed_use_rolls_back_and_is_not_reused(tmp_path: Path) -> None:
    pool = ConnectionPool(tmp_path / "a.sqlite")
    with pool.transaction() as db:
        db.execute("CREATE TABLE t (x)")
    used = []

    def fail() -> None:
        with pool.transaction() as failing:
            used.append(failing)
            failing.execute("INSERT INTO t VALUES (1)")
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fail()
    with pool.transaction() as after:
        assert after is not used[0]
        assert after.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0


def test_records_deleted_while_running_start_afresh(tmp_path: Path) -> None:
    records = Records(tmp_path / "lender.sqlite", LENDER)
    records.upsert(NonceRow(1, 2, "n"))
    assert records.nonce_ids(2) == {1}
    (tmp_path / "lender.sqlite").unlink()
    assert records.nonce_ids(2) == set()  # the pooled connection to the old file is dropped
    records.upsert(NonceRow(3, 2, "m"))
    assert Records(tmp_path / "lender.sqlite", LENDER).nonce_ids(2) == {
        3
    }  # written to the new file
