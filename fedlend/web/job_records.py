"""What a background job is and how it is kept: its states, its stored row, its progress writes."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from fedlend.errors import JobCancelledError
from fedlend.web.db import Database

MIGRATIONS: list[str] = [
    """CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        title TEXT NOT NULL,
        state TEXT NOT NULL,
        progress REAL NOT NULL DEFAULT 0,
        message TEXT NOT NULL DEFAULT '',
        error TEXT,
        result TEXT,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        created_at REAL NOT NULL,
        started_at REAL,
        finished_at REAL
    )""",
    "CREATE INDEX jobs_by_kind ON jobs (kind, created_at)",
    "ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT ''",
]


class JobState(StrEnum):
    """Where a job is in its life; the last three are final."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_STATES = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED})


@dataclass(frozen=True)
class Job:
    """One job as stored: `error` is the user-facing failure text, `result` what fn returned."""

    id: str
    kind: str
    title: str
    state: JobState
    progress: float
    message: str
    error: str | None
    result: Any
    cancel_requested: bool
    created_at: float
    started_at: float | None
    finished_at: float | None
    owner: str = ""  # lower-case address of the account that started it ('' = none)

    @property
    def finished(self) -> bool:
        """True once the job is done, failed or cancelled."""
        return self.state in FINAL_STATES

    @property
    def active(self) -> bool:
        """True while the job is queued or running."""
        return not self.finished

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (what GET /jobs/<id> returns)."""
        data = asdict(self)
        data["state"] = str(self.state)
        data["finished"] = self.finished
        return data


class Reporter:
    """The `progress` callable handed to a job: throttled writes, raises once cancelled."""

    def __init__(
        self, db: Database, job_id: str, event: threading.Event, *, min_interval_s: float
    ) -> None:
        self._db = db
        self._job_id = job_id
        self._event = event
        self._min_interval_s = min_interval_s
        self._last_write = 0.0
        self._last_message: str | None = None

    def __call__(self, fraction: float, message: str = "") -> None:
        if self._event.is_set():
            raise JobCancelledError("the job was cancelled")
        now = time.monotonic()
        if message == self._last_message and now - self._last_write < self._min_interval_s:
            return
        self._last_write, self._last_message = now, message
        self._db.execute(
            "UPDATE jobs SET progress = ?, message = ? WHERE id = ?",
            (min(1.0, max(0.0, float(fraction))), message, self._job_id),
        )


def dump_result(result: Any) -> str | None:
    """A job's result as stored: JSON (anything JSON cannot say as its str()), or NULL."""
    if result is None:
        return None
    return json.dumps(result, default=str)


def job_from_row(row: Any) -> Job:
    """A stored jobs row as a Job."""
    return Job(
        id=row["id"],
        kind=row["kind"],
        title=row["title"],
        state=JobState(row["state"]),
        progress=row["progress"],
        message=row["message"],
        error=row["error"],
        result=json.loads(row["result"]) if row["result"] is not None else None,
        cancel_requested=bool(row["cancel_requested"]),
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        owner=row["owner"],
    )
