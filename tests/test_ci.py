"""The missing-tool rule: a test that lacks Chromium or IPFS skips on a laptop and fails in CI."""

from __future__ import annotations

import pytest

from tests.ci import in_ci, missing


@pytest.mark.parametrize("value", ["true", "1", "yes", "TRUE"])
def test_missing_tool_fails_in_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    assert in_ci()
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        missing("chromium is missing")


@pytest.mark.parametrize("value", [None, "", "0", "false"])
def test_missing_tool_skips_outside_ci(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    assert not in_ci()
    with pytest.raises(pytest.skip.Exception, match="chromium is missing"):
        missing("chromium is missing")
