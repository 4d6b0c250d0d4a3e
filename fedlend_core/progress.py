"""How long work reports progress: progress(fraction in [0, 1], short message)."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[float, str], None]


def quiet(_fraction: float, _message: str) -> None:
    """A Progress that reports nothing."""


def within(progress: Progress, low: float, high: float, stage: str) -> Progress:
    """A Progress for one stage: its [0, 1] mapped onto [low, high], messages prefixed."""

    def report(fraction: float, message: str) -> None:
        progress(low + (high - low) * min(max(fraction, 0.0), 1.0), f"{stage}: {message}")

    return report
