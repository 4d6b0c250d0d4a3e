"""Long tables are rendered once per change: a new update or head shows on the next page."""

from __future__ import annotations

import os
import re
from pathlib import Path

from fedlend.types import Digest
from fedlend.web.fragments import EXTENSION, FragmentCache
from tests.apps.helpers import build_app, found
from tests.market import Market, PostBounty


def _renders(app: object) -> int:
    cache = app.extensions.get(EXTENSION)  # type: ignore[attr-defined]
    return cache.renders if isinstance(cache, FragmentCache) else 0


def test_the_bounty_and_submission_rows_follow_the_chain(
    market: Market, posted: PostBounty, tmp_path: Path
) -> None:
    model = posted()
    app = build_app("owner", tmp_path / "owner", FEDLEND_SETTINGS=market.settings(1))
    client = app.test_client()
    owner = market.node(1).client

    def updates_cell() -> str:
        page = client.get("/bounties/").get_data(as_text=True)
        row = found(rf'<tr data-model="{model.model_id}".*?</tr>', page, re.S).group(0)
        return found(r'<td class="num">(\d+)</td>\s*<td data-review', row).group(1)

    def submission_ids() -> list[str]:
        page = client.get("/contributions/").get_data(as_text=True)
        return re.findall(r'<tr data-update="(\d+)"', page)

    try:
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
    finally:
        app.extensions["fedlend_jobs"].shutdown()


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
