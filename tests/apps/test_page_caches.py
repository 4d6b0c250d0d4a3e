"""Long tables are rendered once per change: a new update or head shows on the next page."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from fedlend.types import Digest
from fedlend.web.fragments import EXTENSION, FragmentCache
from tests.apps.helpers import build_app, found
from tests.market import Market, PostBounty


def _renders(app: Flask) -> int:
    cache = app.extensions.get(EXTENSION)
    return cache.renders if isinstance(cache, FragmentCache) else 0


@pytest.fixture
def app_on(market: Market, tmp_path: Path) -> Iterator[Callable[[str, int], Flask]]:
    """app_on("owner" | "lender", dev) -> that app on the market, as that dev account."""
    made: list[Flask] = []

    def make(which: str, dev: int) -> Flask:
        made.append(build_app(which, tmp_path / which, FEDLEND_SETTINGS=market.settings(dev)))
        return made[-1]

    yield make
    for app in made:
        app.extensions["fedlend_jobs"].shutdown()


def test_the_bounty_and_submission_rows_follow_the_chain(
    market: Market, posted: PostBounty, app_on: Callable[[str, int], Flask]
) -> None:
    model = posted()
    app = app_on("owner", 1)
    client = app.test_client()
    owner = market.node(1).client

    def updates_cell() -> str:
        page = client.get("/bounties/").get_data(as_text=True)
        row = found(rf'<tr data-model="{model.model_id}".*?</tr>', page, re.S).group(0)
        return found(r'<td class="num">(\d+)</td>\s*<td data-review', row).group(1)

    def submission_ids() -> list[str]:
        page = client.get("/contributions/").get_data(as_text=True)
        return re.findall(r'<tr data-update="(\d+)"', page)

    assert updates_cell() == "0"
    assert submission_ids() == []
    first = _renders(app)
    assert updates_cell() == "0"
    assert _renders(app) == first  # nothing changed: the rows were not rendered again
    sent = owner.submit_update(model.model_id, Digest(os.urandom(32))).value
    assert updates_cell() == "1"  # a new head: the rows show the update at once
    assert submission_ids() == [str(sent)]
    again = owner.submit_update(model.model_id, Digest(os.urandom(32))).value
    assert updates_cell() == "2"
    assert submission_ids() == [str(again), str(sent)]
    assert _renders(app) == first + 4


def test_the_fragment_cache_is_bounded_and_renders_a_miss_once() -> None:
    cache = FragmentCache(limit=2)
    calls: list[str] = []

    def render(text: str) -> str:
        calls.append(text)
        return f"<td>{text}</td>"

    assert cache.get("a", lambda: render("a")) == "<td>a</td>"
    assert cache.get("a", lambda: render("again")) == "<td>a</td>"
    cache.get("b", lambda: render("b"))
    cache.get("c", lambda: render("c"))  # over the limit: "a", least recently used, goes
    assert cache.get("a", lambda: render("a2")) == "<td>a2</td>"
    assert calls == ["a", "b", "c", "a2"]
    assert cache.renders == 4


def test_the_lenders_model_table_follows_the_chain(
    market: Market, posted: PostBounty, app_on: Callable[[str, int], Flask]
) -> None:
    model = posted()
    client = app_on("lender", 0).test_client()

    def updates_cell() -> str:
        page = client.get("/").get_data(as_text=True)
        row = found(rf'href="/models/{model.model_id}".*?</tr>', page, re.S).group(0)
        return found(r'<td class="num">(\d+)</td>\s*</tr>', row).group(1)

    assert updates_cell() == "0"
    market.node(2).client.submit_update(model.model_id, Digest(os.urandom(32)))
    assert updates_cell() == "1"
