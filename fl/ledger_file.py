"""The privacy ledger's file: opened read-write only, its totals checked against its charges.

A ledger never resets silently: a deleted file is not re-created empty, and a damaged or missing
one refuses every use with a LedgerError saying how to rebuild it (fl.ledger_rebuild). Each
dataset's stored total (its composed state) is checked against the newest charge it claims to
include before it is used.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fedlend_core.errors import LedgerDamagedError, LedgerMissingError, PrivacyBudgetError
from fl.composition import Charge, Composed
from fl.ledger_schema import SELECT_HISTORY, charge_of, require_format

REBUILD_HINT = (
    "Training is refused until it is rebuilt from your own submissions: run "
    "`fedlend ledger rebuild` (it keeps the old file aside and never lowers what was spent)"
)
_NEWEST = "SELECT MAX(id) FROM charges WHERE owner=? AND dataset=?"


class LedgerFile:
    """One ledger's SQLite file: a connection per use (one kept idle), states and histories."""

    def __init__(self, path: Path, *, durable: bool = True) -> None:
        self.path = path
        self.durable = durable  # False skips SQLite's fsyncs (a throwaway ledger)
        self._keeper: tuple[int, sqlite3.Connection] | None = None
        self._keeper_lock = threading.Lock()

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """An autocommit connection; every SQLite failure becomes a LedgerError saying why."""
        if not self.path.is_file():
            raise LedgerMissingError(
                f"the privacy ledger {self.path} is missing, so what your datasets already spent "
                f"is unknown. {REBUILD_HINT}"
            )
        try:
            self._keep_open()
            db = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True, timeout=30)
            db.isolation_level = None
            if not self.durable:
                db.execute("PRAGMA synchronous=OFF")
        except sqlite3.Error as exc:
            raise damaged(self.path, exc) from exc
        try:
            require_format(db)
            yield db
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise PrivacyBudgetError("the privacy ledger is busy: try again") from exc
            raise damaged(self.path, exc) from exc
        except sqlite3.DatabaseError as exc:
            raise damaged(self.path, exc) from exc
        finally:
            db.close()

    def _keep_open(self) -> None:
        """Hold one idle connection to this very file, so closing each call's connection is not
        the last close (which checkpoints the write-ahead log: ~5 ms a call). Reopened if the
        file was replaced; a deleted file is still refused by the is_file check above."""
        inode = self.path.stat().st_ino
        with self._keeper_lock:
            if self._keeper is not None and self._keeper[0] == inode:
                return
            if self._keeper is not None:
                self._keeper[1].close()
            keeper = sqlite3.connect(f"file:{self.path}?mode=rw", uri=True, check_same_thread=False)
            self._keeper = (inode, keeper)

    def state(self, db: sqlite3.Connection, owner: str, dataset: str) -> Composed:
        """The stored composed state, checked against the newest charge it claims to include."""
        row = db.execute(
            "SELECT last_id, state FROM composed WHERE owner=? AND dataset=?", (owner, dataset)
        ).fetchone()
        (newest,) = db.execute(_NEWEST, (owner, dataset)).fetchone()
        if row is None and newest is None:
            return Composed()
        if row is None or row[0] != newest:
            raise damaged(self.path, f"dataset {dataset[:12]}'s total disagrees with its charges")
        try:
            return Composed.from_json(row[1])
        except ValueError as exc:
            raise damaged(self.path, f"dataset {dataset[:12]}'s total: {exc}") from exc

    @staticmethod
    def history(db: sqlite3.Connection, owner: str, dataset: str) -> list[Charge]:
        """Every charge of one owner's dataset, oldest first (as stored, unchecked)."""
        return [charge_of(row) for row in db.execute(SELECT_HISTORY, (owner, dataset))]

    def recomposed(self, db: sqlite3.Connection, owner: str, dataset: str) -> Composed:
        """The dataset's state composed afresh from its full history."""
        state = Composed()
        for charge in self.history(db, owner, dataset):
            state = state.add(charge)
        return state

    def store_recomposed(self, db: sqlite3.Connection, owner: str, dataset: str) -> None:
        """Replace the dataset's stored total by its history recomposed (after a refund)."""
        state = self.recomposed(db, owner, dataset)
        (newest,) = db.execute(_NEWEST, (owner, dataset)).fetchone()
        if newest is None:
            db.execute("DELETE FROM composed WHERE owner=? AND dataset=?", (owner, dataset))
            return
        db.execute(
            "UPDATE composed SET last_id=?, state=? WHERE owner=? AND dataset=?",
            (newest, state.to_json(), owner, dataset),
        )


@contextmanager
def write(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE (take the write lock now) ... COMMIT, or ROLLBACK if the block raises."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def damaged(path: Path, cause: object) -> LedgerDamagedError:
    """The refusal of a ledger that cannot be trusted, saying how to rebuild it."""
    return LedgerDamagedError(
        f"the privacy ledger {path} is damaged ({str(cause)[:200]}), so what your datasets "
        f"already spent cannot be trusted. {REBUILD_HINT}"
    )
