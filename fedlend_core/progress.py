"""How long work reports progress: progress(fraction in [0, 1], short message)."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[float, str], None]


def quiet(_fraction: float, _message: str) -> None:
    """A Progress that reports nothing."""
