"""Secret key handling and the Host rule itself, on real files."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from fedlend.errors import ConfigError
from fedlend.web.security import SECRET_KEY_FILE, host_allowed, load_secret_key
from tests.apps.helpers import build_app

ENV_KEY = "k" * 40


def test_secret_key_is_created_0600_and_stable(tmp_path: Path) -> None:
    first = load_secret_key(tmp_path, env={})
    path = tmp_path / SECRET_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 64
    assert load_secret_key(tmp_path, env={}) == first
    assert load_secret_key(tmp_path / "other", env={}) != first  # per data dir


def test_secret_key_file_with_loose_permissions_is_tightened(tmp_path: Path) -> None:
    key = load_secret_key(tmp_path, env={})
    path = tmp_path / SECRET_KEY_FILE
    path.chmod(0o644)
    assert load_secret_key(tmp_path, env={}) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("content", ["", "short"])
def test_damaged_secret_key_file_is_a_config_error(tmp_path: Path, content: str) -> None:
    (tmp_path / SECRET_KEY_FILE).write_text(content)
    with pytest.raises(ConfigError, match="delete the file"):
        load_secret_key(tmp_path, env={})


def test_environment_key_wins_and_writes_no_file(tmp_path: Path) -> None:
    assert load_secret_key(tmp_path, env={"FEDLEND_SECRET_KEY": ENV_KEY}) == ENV_KEY
    assert not (tmp_path / SECRET_KEY_FILE).exists()


def test_short_environment_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="too short"):
        load_secret_key(tmp_path, env={"FEDLEND_SECRET_KEY": "hunter2"})


def test_apps_use_the_key_file_in_their_own_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FEDLEND_SECRET_KEY", raising=False)
    monkeypatch.setenv("FEDLEND_HOME", str(tmp_path))
    import lender_app
    import owner_app

    lender = lender_app.create_app({"TESTING": True})
    owner = owner_app.create_app({"TESTING": True})
    assert lender.config["DATA_DIR"] == tmp_path / "lender"
    assert owner.config["DATA_DIR"] == tmp_path / "owner"
    assert lender.config["SECRET_KEY"] == (tmp_path / "lender" / SECRET_KEY_FILE).read_text()
    assert lender.config["SECRET_KEY"] != owner.config["SECRET_KEY"]
    assert (tmp_path / "lender" / "lender.sqlite3").exists()
    page = lender.test_client().get("/").get_data(as_text=True)
    assert lender.config["SECRET_KEY"] not in page


def test_environment_key_reaches_the_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEDLEND_SECRET_KEY", ENV_KEY)
    assert build_app("owner", tmp_path).config["SECRET_KEY"] == ENV_KEY


@pytest.mark.parametrize(
    ("host", "port", "allowed"),
    [
        ("127.0.0.1:5001", 5001, True),
        ("localhost:5001", 5001, True),
        ("[::1]:5001", 5001, True),
        ("localhost", 80, True),
        ("localhost", 5001, False),
        ("localhost", None, True),
        ("localhost:1234", None, True),
        ("[::1]", None, True),
        ("[::1]x", None, False),
        ("localhost:abc", None, False),
        ("localhost:", None, False),
        ("evil.com", None, False),
        ("127.0.0.1.nip.io:5001", 5001, False),
        ("127.1:5001", 5001, False),
        ("2130706433:5001", 5001, False),
        ("localhost.:5001", 5001, False),
        ("", None, False),
    ],
)
def test_host_allowed(host: str, port: int | None, allowed: bool) -> None:
    assert host_allowed(host, port) is allowed
