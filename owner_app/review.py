"""The pause before submitting: a contribution job whose local estimate got worse asks its owner."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app

from fedlend.services.owner_review import LocalChange

ASK_PREFIX = "Your answer is needed: "  # jobs.js reloads the job page to show the question
ANSWER_TIMEOUT_S = 3600.0  # no answer within an hour keeps the update back
POLL_S = 0.25


@dataclass
class _Pending:
    change: LocalChange
    answered: threading.Event = field(default_factory=threading.Event)
    submit: bool = False


class Questions:
    """Open questions by job id; the job's thread waits, the job page answers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}

    def ask(
        self,
        job_id: str,
        change: LocalChange,
        *,
        progress: Callable[[float, str], None],
        cancelled: Callable[[], bool],
        timeout_s: float = ANSWER_TIMEOUT_S,
    ) -> bool:
        """Block until the owner answers (True: submit); cancel or timeout mean no."""
        pending = _Pending(change)
        with self._lock:
            self._pending[job_id] = pending
        progress(0.88, ASK_PREFIX + "your own estimate got worse, submit this update anyway?")
        deadline = time.monotonic() + timeout_s
        try:
            while not pending.answered.wait(POLL_S):
                if cancelled() or time.monotonic() > deadline:
                    return False
            progress(0.89, "submitting as you asked" if pending.submit else "keeping it back")
            return pending.submit
        finally:
            with self._lock:
                self._pending.pop(job_id, None)

    def pending(self, job_id: str) -> LocalChange | None:
        """The question a job waits on, if any."""
        with self._lock:
            found = self._pending.get(job_id)
        return found.change if found else None

    def answer(self, job_id: str, *, submit: bool) -> bool:
        """Answer a job's question; False if it has none (already answered or timed out)."""
        with self._lock:
            found = self._pending.get(job_id)
        if found is None or found.answered.is_set():
            return False
        found.submit = submit
        found.answered.set()
        return True


def questions() -> Questions:
    """This app's open questions."""
    return current_app.extensions.setdefault("fedlend_questions", Questions())
