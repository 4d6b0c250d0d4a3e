"""Address signals for the apps and CLI: scan or import a history, assess it, cache the result."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from web3 import Web3

from fedlend.chain.history import Progress, ScanConfig, parse_address, scan
from fedlend.errors import FedlendError
from signals import model as signals_model
from signals.assess import Context, assess_history, context_for
from signals.blacklist import read_list
from signals.dataset import load_addresses
from signals.etherscan import parse_exports
from signals.history import History
from signals.score import Assessment

MIGRATIONS = (
    """CREATE TABLE signals_cache (
        chain_id INTEGER NOT NULL,
        address TEXT NOT NULL,
        block INTEGER NOT NULL,
        computed_at REAL NOT NULL,
        source TEXT NOT NULL,
        payload TEXT NOT NULL,
        PRIMARY KEY (chain_id, address)
    )""",
)
CACHE_TTL_S = 600.0


class Database(Protocol):
    """What the cache needs of the app's SQLite (fedlend.web.db.Database)."""

    def migrate(self, component: str, statements: tuple[str, ...]) -> int: ...
    def execute(self, sql: str, params: tuple[object, ...] = ()) -> Any: ...
    def query_one(self, sql: str, params: tuple[object, ...] = ()) -> Any: ...


MAX_PAYLOAD = 256 << 10


@dataclass(frozen=True)
class AddressReport:
    """One address's signals and where they came from."""

    address: str  # checksummed
    assessment: Assessment
    source: str
    computed_at: float  # unix seconds
    chain_id: int | None = None
    block: int | None = None
    notes: tuple[str, ...] = ()
    cached: bool = False

    @property
    def computed_at_text(self) -> str:
        """The computation time in UTC, as text."""
        return datetime.fromtimestamp(self.computed_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")

    def to_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {
            "address": self.address,
            **self.assessment.to_dict(),
            "source": self.source,
            "computed_at": self.computed_at_text,
            "chain_id": self.chain_id,
            "block": self.block,
            "notes": list(self.notes),
            "cached": self.cached,
        }


@dataclass(frozen=True)
class SignalsConfig:
    """Where the model and extra blacklist live, and the scan bounds."""

    model_dir: Path = signals_model.DEFAULT_DIR
    blacklist_file: Path | None = (
        None  # a plain-text list (e.g. sanctions) added to the shipped one
    )
    scan: ScanConfig = field(default_factory=ScanConfig)
    cache_ttl_s: float = CACHE_TTL_S


@lru_cache(maxsize=4)
def load_context(model_dir: Path, blacklist_file: Path | None) -> Context:
    """The served model and blacklist (read once per process)."""
    extra = read_list(blacklist_file) if blacklist_file else frozenset()
    return context_for(signals_model.load(model_dir), load_addresses(), extra)


def context(config: SignalsConfig) -> Context:
    """The Context for a config."""
    return load_context(config.model_dir, config.blacklist_file)


def report_history(config: SignalsConfig, history: History) -> AddressReport:
    """Assess a history (from a scan or an import)."""
    return AddressReport(
        address=Web3.to_checksum_address(history.address),
        assessment=assess_history(context(config), history),
        source=history.source,
        computed_at=time.time(),
        chain_id=history.chain_id,
        block=history.block,
        notes=history.notes,
    )


def from_chain(
    config: SignalsConfig,
    w3: Web3 | None,
    text: str,
    *,
    db: Database | None = None,
    refresh: bool = False,
    progress: Progress | None = None,
) -> AddressReport:
    """Scan the chain (or use a fresh cached result); an unreachable chain gives 'unknown'."""
    address = parse_address(text)
    try:
        if w3 is None:
            raise FedlendError("no chain is connected")
        chain_id = int(w3.eth.chain_id)
        cached = None if refresh or db is None else cached_report(db, chain_id, address, config)
        if cached is not None:
            return cached
        report = report_history(config, scan(w3, address, config.scan, progress))
    except FedlendError as exc:
        return unknown(address, f"the chain cannot be scanned: {exc}")
    except (OSError, ValueError) as exc:
        return unknown(address, f"the chain cannot be scanned: {exc}")
    if db is not None:
        store(db, report)
    return report


def from_exports(config: SignalsConfig, text: str, files: list[tuple[str, bytes]]) -> AddressReport:
    """Assess an address from Etherscan-style CSV exports (DataError on a wrong shape)."""
    address = parse_address(text)
    return report_history(config, parse_exports(address, files))


def unknown(address: str, reason: str) -> AddressReport:
    """An 'unknown' report carrying its reason."""
    assessment = Assessment(
        address.lower(), "unknown", None, None, 0, 0, (), (), "unknown", (reason,)
    )
    return AddressReport(address, assessment, "none", time.time(), notes=(reason,))


def cached_level(db: Database, chain_id: int, address: str) -> AddressReport | None:
    """Any cached report for the address on this chain, however old."""
    return _cached(db, chain_id, address, max_age_s=None)


def cached_report(
    db: Database, chain_id: int, address: str, config: SignalsConfig
) -> AddressReport | None:
    """A cached report younger than the TTL."""
    return _cached(db, chain_id, address, max_age_s=config.cache_ttl_s)


def migrate(db: Database) -> None:
    """Create the cache table."""
    db.migrate("signals", MIGRATIONS)


def store(db: Database, report: AddressReport) -> None:
    """Cache a chain report under (chain, address), with the block it was computed at."""
    if report.chain_id is None or report.block is None:
        return
    migrate(db)
    payload = json.dumps(
        {"assessment": report.assessment.to_dict(), "notes": list(report.notes)}, sort_keys=True
    )
    db.execute(
        "INSERT INTO signals_cache (chain_id, address, block, computed_at, source, payload) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(chain_id, address) DO UPDATE SET "
        "block = excluded.block, computed_at = excluded.computed_at, source = excluded.source, "
        "payload = excluded.payload",
        (
            report.chain_id,
            report.address.lower(),
            report.block,
            report.computed_at,
            report.source,
            payload,
        ),
    )


def _cached(
    db: Database, chain_id: int, address: str, *, max_age_s: float | None
) -> AddressReport | None:
    migrate(db)
    row = db.query_one(
        "SELECT * FROM signals_cache WHERE chain_id = ? AND address = ?",
        (chain_id, address.lower()),
    )
    if row is None or (max_age_s is not None and time.time() - row["computed_at"] > max_age_s):
        return None
    try:
        assessment, notes = _decode(row["payload"])
    except (ValueError, TypeError, KeyError):
        return None  # a damaged row is recomputed
    return AddressReport(
        address=Web3.to_checksum_address(address),
        assessment=assessment,
        source=str(row["source"]),
        computed_at=float(row["computed_at"]),
        chain_id=int(row["chain_id"]),
        block=int(row["block"]),
        notes=notes,
        cached=True,
    )


def _decode(payload: str) -> tuple[Assessment, tuple[str, ...]]:
    if len(payload) > MAX_PAYLOAD:
        raise ValueError("cached payload too large")
    data = json.loads(payload)
    a = data["assessment"]
    top = tuple(
        (str(t["feature"]), float(t["value"]), float(t["effect"])) for t in a["top_features"]
    )
    assessment = Assessment(
        address=str(a["address"]),
        level=str(a["level"]),
        score=None if a["score"] is None else float(a["score"]),
        probability=None if a["probability"] is None else float(a["probability"]),
        risky=int(a["risky"]),
        total=int(a["total"]),
        blacklisted=tuple(str(x) for x in a["blacklisted"]),
        top_features=top,
        profile=str(a["profile"]),
        reasons=tuple(str(x) for x in a["reasons"]),
        unavailable=tuple(str(x) for x in a["unavailable"]),
    )
    if assessment.level not in ("unknown", "green", "yellow", "red"):
        raise ValueError("bad level")
    return assessment, tuple(str(n) for n in data["notes"])
