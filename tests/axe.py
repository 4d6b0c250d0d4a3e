"""axe-core (npm, run only in tests) over a page in Chromium: WCAG 2 A/AA violations.

The script is evaluated through the DevTools protocol, which the pages' CSP does not govern, so
it runs on any page of any browser test, with no `bypass_csp` context.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser_helpers import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
RUN = """() => axe.run(document, {runOnly: ["wcag2a", "wcag2aa"]})
  .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.length,
                                      where: v.nodes.slice(0, 3).map(n => n.target.join(" "))})))"""


@lru_cache(maxsize=1)
def _source() -> str:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `make setup` (npm ci)")
    return AXE.read_text()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2 A/AA violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(f"() => {{ {_source()}\n}}")
    result: list[dict[str, Any]] = page.evaluate(RUN)
    return result


def assert_accessible(page: Page, where: str) -> None:
    """No serious or critical violation on the page; the minor ones are printed (pytest -s)."""
    violations = axe_violations(page)
    for v in violations:
        print(f"axe {where}: {v['impact']} {v['id']} ({v['nodes']}: {v['where']}): {v['help']}")
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert blocking == [], (where, blocking)
