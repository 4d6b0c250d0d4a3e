"""How long work reports progress: progress(fraction in [0, 1], short message)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TypeVar

Progress = Callable[[float, str], None]
T = TypeVar("T")
UNKNOWN_HALF_S = 60.0  # with no estimate, the fraction reaches 1/2 after this many seconds


def quiet(_fraction: float, _message: str) -> None:
    """A Progress that reports nothing."""


def within(progress: Progress, low: float, high: float, stage: str) -> Progress:
    """A Progress for one stage: its [0, 1] mapped onto [low, high], messages prefixed."""

    def report(fraction: float, message: str) -> None:
        progress(low + (high - low) * min(max(fraction, 0.0), 1.0), f"{stage}: {message}")

    return report


def to_stderr(label: str) -> Progress:
    """A Progress for the command line: one line updated in place on a terminal; otherwise a
    line each time the message's head (before its first comma) changes."""
    tty = sys.stderr.isatty()
    last = {"head": ""}

    def show(fraction: float, message: str) -> None:
        line = f"[{label} {fraction * 100:5.1f}%] {message}"
        head = message.split(",")[0]
        if tty:
            print(f"\r{line:<78}", end="", file=sys.stderr, flush=True)
        elif head != last["head"]:
            print(line, file=sys.stderr, flush=True)
        last["head"] = head

    return show


def ticking(
    work: Callable[[], T],
    progress: Progress,
    *,
    estimate_s: float | None = None,
    every_s: float = 1.0,
    interrupt: Callable[[], None] | None = None,
) -> T:
    """Run `work()` (a call that blocks without reporting) while a ticker thread reports the
    elapsed seconds, and the estimate if one is known, every `every_s`; the ticker stops when
    `work` returns or raises. A progress callback that raises (a cancelled job) stops the ticker,
    calls `interrupt()` (if given: what ends `work` early, e.g. killing its child process) and
    its error is raised once `work` has returned, in place of whatever `work` returned or raised."""
    stop = threading.Event()
    failed: list[BaseException] = []
    started = time.monotonic()

    def tick() -> None:
        while not stop.wait(every_s):
            elapsed = time.monotonic() - started
            try:
                progress(tick_fraction(elapsed, estimate_s), tick_message(elapsed, estimate_s))
            except Exception as exc:  # handed to the caller's thread below
                failed.append(exc)
                if interrupt is not None:
                    interrupt()
                return

    ticker = threading.Thread(target=tick, name="progress-ticker", daemon=True)
    ticker.start()
    try:
        result, error = _outcome(work)
    finally:  # KeyboardInterrupt too: the ticker never outlives the call
        stop.set()
        ticker.join()
    if failed:
        raise failed[0] from error
    if error is not None:
        raise error
    return result  # type: ignore[return-value]  # None only with an error, raised above


def _outcome(work: Callable[[], T]) -> tuple[T | None, Exception | None]:
    try:
        return work(), None
    except Exception as exc:  # raised by the caller once the ticker has stopped
        return None, exc


def tick_fraction(elapsed: float, estimate_s: float | None) -> float:
    """How far along `elapsed` seconds are: against the estimate (never 1 before the end), or
    with none a curve that keeps moving and never arrives."""
    if estimate_s is not None and estimate_s > 0:
        return min(elapsed / estimate_s, 0.99)
    return elapsed / (elapsed + UNKNOWN_HALF_S)


def tick_message(elapsed: float, estimate_s: float | None) -> str:
    """'12 s elapsed of about 40 s', or '12 s elapsed' with no estimate."""
    if estimate_s is None or estimate_s <= 0:
        return f"{elapsed:.0f} s elapsed"
    if elapsed > estimate_s:
        return f"{elapsed:.0f} s elapsed, more than the {estimate_s:.0f} s expected"
    return f"{elapsed:.0f} s elapsed of about {estimate_s:.0f} s"
