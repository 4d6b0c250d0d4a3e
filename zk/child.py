"""EZKL's long calls (setup, prove) in a child process, with a ticker reporting meanwhile.

In-process, an EZKL call holds the GIL for minutes, so no ticker thread could report; in a
child, the parent's ticker reports the elapsed seconds and a cancelled job kills the child.
"""

from __future__ import annotations

import subprocess
import sys

from fedlend_core.errors import ProofError
from fedlend_core.progress import Progress, ticking

TIMEOUT_S = 6 * 3600.0


def run_ezkl(
    script: str, args: list[str], progress: Progress, *, what: str, estimate_s: float | None
) -> None:
    """Run `python -c script *args`; ProofError (with its last stderr line) unless it exits 0."""
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", script, *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    except OSError as exc:
        raise ProofError(f"EZKL could not start to {what}: {exc}") from exc
    try:
        ticking(
            lambda: _finished(child, what),
            progress,
            estimate_s=estimate_s,
            interrupt=child.kill,
        )
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def _finished(child: subprocess.Popen[str], what: str) -> None:
    try:
        _, stderr = child.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        hours = TIMEOUT_S / 3600
        raise ProofError(f"EZKL ran over {hours:.0f} hours to {what} and was stopped") from exc
    if child.returncode != 0:
        lines = stderr.strip().splitlines() or [f"exit status {child.returncode}"]
        raise ProofError(f"EZKL could not {what}: {lines[-1][:300]}")
