"""The progress ticker: reports while a blocking call runs, stops after it, hands errors back."""

from __future__ import annotations

import threading
import time

import pytest

from fedlend.errors import JobCancelledError
from fedlend_core.progress import tick_fraction, tick_message, ticking


class Recorder:
    """A Progress that keeps every report with the thread it came from."""

    def __init__(self) -> None:
        self.reports: list[tuple[float, str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, fraction: float, message: str) -> None:
        with self.lock:
            self.reports.append((fraction, message, threading.current_thread().name))


def test_the_ticker_reports_while_a_slow_call_runs_and_stops_after_it() -> None:
    seen = Recorder()

    def slow() -> str:
        time.sleep(0.55)
        return "done"

    result = ticking(slow, seen, estimate_s=1.0, every_s=0.1)
    assert result == "done"
    count = len(seen.reports)
    assert 3 <= count <= 6  # about one report per 0.1 s of a 0.55 s call
    assert all(name == "progress-ticker" for *_, name in seen.reports)
    fractions = [fraction for fraction, *_ in seen.reports]
    assert fractions == sorted(fractions)
    assert 0 < fractions[0] < fractions[-1] < 0.99
    assert "of about 1 s" in seen.reports[-1][1]
    time.sleep(0.3)
    assert len(seen.reports) == count  # stopped with the call
    assert not any(t.name == "progress-ticker" for t in threading.enumerate())


def test_the_ticker_stops_when_the_call_raises() -> None:
    seen = Recorder()

    def broken() -> None:
        time.sleep(0.25)
        raise ValueError("the call failed")

    with pytest.raises(ValueError, match="the call failed"):
        ticking(broken, seen, every_s=0.1)
    count = len(seen.reports)
    assert count >= 1
    time.sleep(0.3)
    assert len(seen.reports) == count


def test_a_cancelled_job_stops_the_ticker_and_is_raised_once_the_call_returns() -> None:
    calls: list[float] = []

    def cancelled(fraction: float, _message: str) -> None:
        calls.append(fraction)
        raise JobCancelledError("the job was cancelled")

    finished: list[bool] = []

    def slow() -> None:
        time.sleep(0.3)
        finished.append(True)

    with pytest.raises(JobCancelledError):
        ticking(slow, cancelled, every_s=0.05)
    assert finished == [True]  # the blocking call ran to its end, then the cancel surfaced
    assert len(calls) == 1  # the ticker stopped at the first refusal


def test_a_refusal_interrupts_the_blocking_call_and_is_raised_in_its_place() -> None:
    woken = threading.Event()

    def refuse(_fraction: float, _message: str) -> None:
        raise JobCancelledError("the job was cancelled")

    def waits_to_be_woken() -> None:
        if not woken.wait(10):
            raise AssertionError("never interrupted")
        raise OSError("killed")  # what an interrupted call raises is replaced by the refusal

    started = time.monotonic()
    with pytest.raises(JobCancelledError) as caught:
        ticking(waits_to_be_woken, refuse, every_s=0.05, interrupt=woken.set)
    assert time.monotonic() - started < 2
    assert isinstance(caught.value.__cause__, OSError)


@pytest.mark.parametrize(
    ("elapsed", "estimate", "fraction", "words"),
    [
        (10.0, 40.0, 0.25, "10 s elapsed of about 40 s"),
        (50.0, 40.0, 0.99, "50 s elapsed, more than the 40 s expected"),
        (60.0, None, 0.5, "60 s elapsed"),
        (0.0, 0.0, 0.0, "0 s elapsed"),
    ],
)
def test_fraction_and_words(
    elapsed: float, estimate: float | None, fraction: float, words: str
) -> None:
    assert tick_fraction(elapsed, estimate) == pytest.approx(fraction)
    assert tick_message(elapsed, estimate) == words
