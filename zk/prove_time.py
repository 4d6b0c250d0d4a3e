"""How long a circuit's last proof took, kept beside its keys, and the estimate for the next one.

After each proof `record` writes prove_seconds.json in the circuit's key directory. `estimate`
returns that circuit's last time, or with none the latest proof time of any other cached circuit
scaled by the ratio of their 2^k rows (proving is roughly linear in the rows), or None. The file
is advisory: one that is unreadable, too large or mistyped gives no estimate, never an error.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

from fedlend_core.bounded_json import loads_bounded
from fedlend_core.errors import ProofError
from zk.keys import CircuitKeys

TIME_FILE = "prove_seconds.json"
MAX_TIME_FILE = 4096


def record(keys: CircuitKeys, seconds: float) -> None:
    """Keep `seconds` as this circuit's last proof time (atomically; a failure is ignored)."""
    doc = json.dumps({"seconds": round(seconds, 3), "logrows": keys.logrows})
    try:
        fd, tmp = tempfile.mkstemp(dir=keys.directory, prefix=".prove-", suffix=".tmp")
        with os.fdopen(fd, "w") as out:
            out.write(doc)
        Path(tmp).replace(keys.directory / TIME_FILE)
    except OSError:  # a read-only cache loses the estimate, not the proof
        return


def estimate(keys: CircuitKeys) -> float | None:
    """The expected proof time in seconds for this circuit, if any proof time is known."""
    own = _read(keys.directory / TIME_FILE)
    if own is not None:
        return own[0]
    others = sorted(keys.directory.parent.glob(f"*/{TIME_FILE}"), key=_mtime, reverse=True)
    for path in others:
        known = _read(path)
        if known is not None:
            seconds, logrows = known
            return seconds * 2.0 ** (keys.logrows - logrows)
    return None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _read(path: Path) -> tuple[float, int] | None:
    try:
        with path.open("rb") as source:
            raw = source.read(MAX_TIME_FILE + 1)
        doc = loads_bounded(raw, error=ProofError, what=str(path), max_bytes=MAX_TIME_FILE)
    except (OSError, ProofError):
        return None
    if not isinstance(doc, dict):
        return None
    seconds, logrows = doc.get("seconds"), doc.get("logrows")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return None
    if isinstance(logrows, bool) or not isinstance(logrows, int) or not 1 <= logrows <= 30:
        return None
    if not math.isfinite(seconds) or seconds <= 0:
        return None
    return float(seconds), logrows
