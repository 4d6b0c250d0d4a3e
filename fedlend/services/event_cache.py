"""A local SQLite cache of a contract's events with block times: rebuilt from the chain if lost."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.events import EVENT_TYPES, ChainEvent, LogPosition
from fedlend.chain.rpc import rpc_errors
from fedlend.errors import ConfigError
from fedlend.storage import sqlite
from fedlend.storage.sqlite_pool import ConnectionPool
from fedlend.types import UpdateStatus

SCHEMA = """
CREATE TABLE IF NOT EXISTS cursors (
  source TEXT PRIMARY KEY, next_block INTEGER NOT NULL, block_hash TEXT);
CREATE TABLE IF NOT EXISTS events (
  source TEXT NOT NULL, block INTEGER NOT NULL, log_index INTEGER NOT NULL, tx_hash TEXT NOT NULL,
  name TEXT NOT NULL, model_id INTEGER, timestamp INTEGER NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (source, block, log_index));
CREATE INDEX IF NOT EXISTS events_model ON events (source, model_id, block, log_index);
"""
MIGRATIONS = [statement.strip() for statement in SCHEMA.split(";") if statement.strip()]
_DIGEST_FIELDS = frozenset({"weights", "spec", "digest", "new_weights"})


@dataclass(frozen=True)
class TimedEvent:
    """A decoded chain event and the timestamp of the block it was mined in."""

    event: ChainEvent
    timestamp: int


class EventCache:
    """Events of one contract, fetched incrementally and kept in one SQLite file.

    The chain stays the truth: deleting the file only costs a rescan from the deployment block.
    Each refresh first checks that the last block it read is still on the chain (same hash); if
    not (a reorg, or a local chain restarted under the same contract address) it starts over.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._pool = ConnectionPool(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite.connect(self.path)
            try:
                sqlite.migrate(db, "event_cache", MIGRATIONS)
            finally:
                db.close()
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"cannot open the event cache {self.path}: {exc}; delete it (it is rebuilt "
                "from the chain) or check the data directory's permissions"
            ) from exc

    def model_events(self, client: ModelRepositoryClient, model_id: int) -> list[TimedEvent]:
        """Every event of one model, oldest first, after catching up with the chain."""
        source = self.refresh(client)
        with self._db() as db:
            rows = db.execute(
                "SELECT * FROM events WHERE source = ? AND model_id = ? ORDER BY block, log_index",
                (source, model_id),
            ).fetchall()
        return [_from_row(row) for row in rows]

    def cached(self, contract: str) -> list[TimedEvent]:
        """The events kept for a contract (any chain; every contract if `contract` is the zero
        address), oldest first, without asking the chain: what pages show while it is down."""
        args: list[object] = ["%" if int(contract, 16) == 0 else f"%:{contract.lower()}"]
        with self._db() as db:
            rows = db.execute(  # a source is "<chain id>:<contract>"
                "SELECT * FROM events WHERE source LIKE ? ORDER BY source, block, log_index", args
            ).fetchall()
        return [_from_row(row) for row in rows]

    def refresh(self, client: ModelRepositoryClient) -> str:
        """Fetch the events mined since the last refresh; return this contract's cache key."""
        source = f"{client.chain_id}:{client.address.lower()}"
        head = client.latest_block()  # once per page scope (fedlend.chain.head)
        latest, seen = int(head["number"]), "0x" + bytes(head["hash"]).hex()
        with self._lock:
            start = self._start(client, source, latest, seen)
            if start > latest:
                return source  # the cursor is at the head, and its block unchanged: no write
            events = client.events(from_block=start, to_block=latest)
            times = _block_times(client, {e.at.block_number for e in events})
            with self._db() as db:
                db.execute("DELETE FROM events WHERE source = ? AND block >= ?", (source, start))
                db.executemany(
                    "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [_to_row(source, e, times[e.at.block_number]) for e in events],
                )
                db.execute(
                    "INSERT OR REPLACE INTO cursors (source, next_block, block_hash)"
                    " VALUES (?, ?, ?)",
                    (source, latest + 1, seen),
                )
        return source

    def _start(self, client: ModelRepositoryClient, source: str, latest: int, head: str) -> int:
        """The first block to read: the one after the cursor if the cursor's block is unchanged."""
        with self._db() as db:
            row = db.execute("SELECT * FROM cursors WHERE source = ?", (source,)).fetchone()
        if row is None:
            return client.deployed_block
        last = int(row["next_block"]) - 1
        known = head if last == latest else None  # the head's hash is known: no second read
        if last > latest or (known or _block_hash(client, last)) != row["block_hash"]:
            return client.deployed_block  # reorged, or a restarted chain: read it all again
        return last + 1

    def _db(self) -> AbstractContextManager[sqlite3.Connection]:
        if not self.path.exists():  # deleted while running: a fresh cache, rebuilt from the chain
            self._pool.reset()
            with self._pool.borrowed() as db:
                sqlite.migrate(db, "event_cache", MIGRATIONS)
        return self._pool.transaction()


def _block_times(client: ModelRepositoryClient, blocks: set[int]) -> dict[int, int]:
    with rpc_errors():
        return {n: int(client.w3.eth.get_block(n)["timestamp"]) for n in sorted(blocks)}


def _block_hash(client: ModelRepositoryClient, number: int) -> str:
    with rpc_errors():
        block = client.w3.eth.get_block(number)
    return "0x" + bytes(block["hash"]).hex()


def _to_row(source: str, event: ChainEvent, timestamp: int) -> tuple[Any, ...]:
    body = {
        f.name: _plain(getattr(event, f.name)) for f in dataclasses.fields(event) if f.name != "at"
    }
    return (
        source,
        event.at.block_number,
        event.at.log_index,
        event.at.tx_hash,
        type(event).__name__,
        body.get("model_id"),
        timestamp,
        json.dumps(body, sort_keys=True),
    )


def _plain(value: object) -> object:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, int):
        return int(value)  # IntEnum -> int
    return value


def _from_row(row: sqlite3.Row) -> TimedEvent:
    cls = EVENT_TYPES[row["name"]]
    body = json.loads(row["body"])
    for name in _DIGEST_FIELDS & body.keys():
        body[name] = bytes.fromhex(body[name][2:])
    if "status" in body:
        body["status"] = UpdateStatus(body["status"])
    at = LogPosition(row["block"], row["log_index"], row["tx_hash"])
    return TimedEvent(cls(at=at, **body), int(row["timestamp"]))
