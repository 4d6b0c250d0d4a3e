"""`fedlend lender-app` / `fedlend owner-app`: real processes bound to 127.0.0.1 only."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fedlend.cli import build_parser, main
from tests.apps.helpers import assert_no_traceback

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(port: int, path: str, host: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"Host": host} if host else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a LISTEN socket on `port`, from /proc/net/tcp{,6} (hex, as-is)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.rsplit(":", 1)
            if state == "0A" and int(port_hex, 16) == port:
                found.add(address)
    return found


@pytest.mark.parametrize(("command", "port"), [("lender-app", 5001), ("owner-app", 5002)])
def test_default_ports_avoid_anvil(command: str, port: int) -> None:
    args = build_parser().parse_args([command])
    assert args.port == port
    assert port != 8545
    assert not hasattr(args, "host")  # no way to bind another interface


@pytest.mark.parametrize("command", ["lender-app", "owner-app"])
def test_busy_port_is_a_clear_error(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main([command, "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is already in use" in err
    assert "--port" in err


@pytest.mark.parametrize("port", ["0", "70000"])
def test_out_of_range_port_is_refused(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lender-app", "--port", port]) == 1
    assert "out of range" in capsys.readouterr().err


@pytest.mark.parametrize(("command", "slug"), [("lender-app", "lender"), ("owner-app", "owner")])
def test_the_command_serves_the_app_on_loopback_only(
    command: str, slug: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {**os.environ, "FEDLEND_HOME": str(tmp_path)}
    env.pop("FEDLEND_SECRET_KEY", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "fedlend.cli", command, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline()
        assert f"running at http://127.0.0.1:{port}/" in banner
        status, body = _wait_for_health(port)
        assert status == 200
        assert f'"app":"{slug}"' in body.decode().replace(" ", "")
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, nothing else
        assert get(port, "/", host=f"localhost:{port}")[0] == 200
        status, body = get(port, "/", host="evil.com")
        assert status == 400
        assert_no_traceback(body.decode())
        assert (tmp_path / slug / f"{slug}.sqlite3").exists()
        assert (tmp_path / slug / "secret_key").stat().st_mode & 0o077 == 0
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=10)
    key = (tmp_path / slug / "secret_key").read_text()
    assert key not in banner + output  # the secret key is never printed or logged


def _wait_for_health(port: int) -> tuple[int, bytes]:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            return get(port, "/healthz")
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
