"""The privacy ledger's SQLite layer: create, recognise and migrate a ledger; book one charge."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from fedlend_core.errors import PrivacyBudgetError
from fl.composition import Charge, Composed
from fl.dp import Mechanism

FORMAT = "fedlend-privacy-ledger/2"
SELECT_HISTORY = (
    "SELECT epsilon, delta, noise_multiplier, sample_rate, steps, note, at FROM charges "
    "WHERE owner=? AND dataset=? ORDER BY id"
)
SELECT_HISTORY_IDS = (
    "SELECT id, epsilon, delta, noise_multiplier, sample_rate, steps, note, at FROM charges "
    "WHERE owner=? AND dataset=? ORDER BY id"
)
SELECT_BY_KEY = (
    "SELECT epsilon, delta, noise_multiplier, sample_rate, steps, note, at FROM charges "
    "WHERE owner=? AND dataset=? AND key=?"
)
TABLES = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS budgets (owner TEXT NOT NULL, dataset TEXT NOT NULL, "
    "epsilon REAL NOT NULL, delta REAL NOT NULL, PRIMARY KEY (owner, dataset))",
    "CREATE TABLE IF NOT EXISTS charges (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "owner TEXT NOT NULL, dataset TEXT NOT NULL, epsilon REAL NOT NULL, delta REAL NOT NULL, "
    "noise_multiplier REAL, sample_rate REAL, steps INTEGER, note TEXT NOT NULL DEFAULT '', "
    "at REAL NOT NULL, key TEXT)",
    "CREATE INDEX IF NOT EXISTS charges_owner_dataset ON charges (owner, dataset)",
    "CREATE TABLE IF NOT EXISTS composed (owner TEXT NOT NULL, dataset TEXT NOT NULL, "
    "last_id INTEGER NOT NULL, state TEXT NOT NULL, PRIMARY KEY (owner, dataset))",
)
KEY_INDEX = (
    "CREATE UNIQUE INDEX IF NOT EXISTS charges_key ON charges (owner, dataset, key) "
    "WHERE key IS NOT NULL"
)


class NotALedger(sqlite3.DatabaseError):
    """The file is an SQLite database but not a ledger this code can trust."""


def initialise(path: Path) -> None:
    """Create an empty ledger (owner-only permissions) where no file exists."""
    if path.exists():
        raise FileExistsError(f"a file already exists at {path}: not replacing it")
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("BEGIN IMMEDIATE")
        _create(db)
        db.execute("COMMIT")
    finally:
        db.close()
    path.chmod(0o600)


def _create(db: sqlite3.Connection) -> None:
    for statement in TABLES:
        db.execute(statement)
    columns = {r[1] for r in db.execute("PRAGMA table_info(charges)")}
    if "key" not in columns:
        db.execute("ALTER TABLE charges ADD COLUMN key TEXT")
    db.execute(KEY_INDEX)
    db.execute("INSERT INTO meta VALUES ('format', ?), ('created', ?)", (FORMAT, repr(time.time())))


def require_format(db: sqlite3.Connection) -> None:
    """Accept this format, migrate format 1 (no meta, no composed states); NotALedger if neither."""
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "meta" in tables:
        row = db.execute("SELECT value FROM meta WHERE key='format'").fetchone()
        if row is None or row[0] != FORMAT:
            raise NotALedger(f"unknown ledger format {str(row)[:40]}")
        return
    if not {"budgets", "charges"} <= tables:
        raise NotALedger("it holds no ledger tables")
    db.execute("BEGIN IMMEDIATE")
    try:
        _create(db)
        for owner, dataset in db.execute("SELECT DISTINCT owner, dataset FROM charges").fetchall():
            _compose_once(db, owner, dataset)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _compose_once(db: sqlite3.Connection, owner: str, dataset: str) -> None:
    state, last = Composed(), 0
    rows = db.execute(
        SELECT_HISTORY_IDS,
        (owner, dataset),
    ).fetchall()
    for row in rows:
        state, last = state.add(charge_of(row[1:])), row[0]
    db.execute(
        "INSERT OR REPLACE INTO composed VALUES (?,?,?,?)", (owner, dataset, last, state.to_json())
    )


def booked(db: sqlite3.Connection, owner: str, dataset: str, key: str, new: Charge) -> bool:
    """True if this key is already booked with these numbers; refuses a key with other numbers."""
    row = db.execute(
        SELECT_BY_KEY,
        (owner, dataset, key),
    ).fetchone()
    if row is None:
        return False
    old = charge_of(row)
    if (old.epsilon, old.delta, old.mechanism) != (new.epsilon, new.delta, new.mechanism):
        raise PrivacyBudgetError(
            f"charge {key!r} was already booked with epsilon {old.epsilon:.3g}; a different "
            "spend needs its own key (a new job id)"
        )
    return True


def insert(
    db: sqlite3.Connection, owner: str, dataset: str, new: Charge, key: str | None, state: Composed
) -> None:
    """Book one charge and the composed state that now includes it (inside a transaction)."""
    m = new.mechanism
    cursor = db.execute(
        "INSERT INTO charges (owner, dataset, epsilon, delta, noise_multiplier, sample_rate, "
        "steps, note, at, key) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            owner,
            dataset,
            new.epsilon,
            new.delta,
            m.noise_multiplier if m else None,
            m.sample_rate if m else None,
            m.steps if m else None,
            new.note,
            new.at,
            key,
        ),
    )
    db.execute(
        "INSERT INTO composed VALUES (?,?,?,?) ON CONFLICT(owner, dataset) "
        "DO UPDATE SET last_id=excluded.last_id, state=excluded.state",
        (owner, dataset, cursor.lastrowid, state.to_json()),
    )


def charge_of(row: tuple) -> Charge:
    """A Charge from a row of COLUMNS; NotALedger if a field has the wrong type."""
    eps, dlt, sigma, q, steps, note, at = row
    numbers_ok = all(isinstance(v, int | float) for v in (eps, dlt, at))
    mech_ok = sigma is None or (
        isinstance(sigma, int | float) and isinstance(q, int | float) and type(steps) is int
    )
    if not (numbers_ok and mech_ok and isinstance(note, str)):
        raise NotALedger("a charge row holds values of the wrong type")
    mechanism = Mechanism(float(sigma), float(q), steps) if sigma is not None else None
    return Charge(float(eps), float(dlt), mechanism, note, float(at))
