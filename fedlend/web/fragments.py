"""Rendered parts of pages remembered by what they show: a long table renders once per change.

The key is every value the part is rendered from (frozen records, chain time, signal levels):
when any of them changes the key changes, and the part is rendered again. A part holding a form
(its CSRF token is per session) must not be cached: pass key=None to render it every time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app
from markupsafe import Markup

EXTENSION = "fedlend_fragments"
LIMIT = 32  # parts kept per app (least recently used dropped first)


class FragmentCache:
    """A small LRU of rendered HTML by key."""

    def __init__(self, limit: int = LIMIT) -> None:
        self._lock = threading.Lock()
        self._parts: OrderedDict[Hashable, Markup] = OrderedDict()
        self._limit = limit
        self.renders = 0  # how often a part was actually rendered

    def get(self, key: Hashable, render: Callable[[], str]) -> Markup:
        """The part for `key`, rendering it on a miss."""
        with self._lock:
            found = self._parts.get(key)
            if found is not None:
                self._parts.move_to_end(key)
                return found
        html = Markup(render())  # noqa: S704 - rendered by Jinja with autoescape
        with self._lock:
            self.renders += 1
            self._parts[key] = html
            while len(self._parts) > self._limit:
                self._parts.popitem(last=False)
        return html


def fragment(template: str, key: Hashable | None, **context: Any) -> Markup:
    """`template` rendered with `context` (no layout context), remembered under `key`."""
    env = current_app.jinja_env

    def render() -> str:
        return env.get_template(template).render(**context)

    if key is None:
        return Markup(render())  # noqa: S704 - rendered by Jinja with autoescape
    cache: FragmentCache = current_app.extensions.setdefault(EXTENSION, FragmentCache())
    return cache.get((template, key), render)
