"""A real `fedlend owner-app` / `lender-app` process on a free port: start, kill -9, start again."""

from __future__ import annotations

import html
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import requests

from fedlend.settings import Settings

START_TIMEOUT_S = 60.0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class AppProcess:
    """One app's process over one FEDLEND_HOME, and a browser-like session (cookies, CSRF)."""

    command: str  # "owner-app" or "lender-app"
    settings: Settings
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    session: requests.Session = field(default_factory=requests.Session)
    starts: int = 0

    @property
    def url(self) -> str:
        """The app's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> AppProcess:
        """Start the app (same port every time) and wait until it answers."""
        env = {
            **os.environ,
            "FEDLEND_HOME": str(self.settings.home),
            "FEDLEND_RPC_URL": self.settings.rpc_url,
            "FEDLEND_CONTRACT": str(self.settings.contract_address),
            "FEDLEND_DEV_ACCOUNT": str(self.settings.dev_account),
        }
        args = [sys.executable, "-m", "fedlend.cli", self.command, "--port", str(self.port)]
        self.process = subprocess.Popen(
            args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.starts += 1
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.command} exited with {self.process.returncode}")
            try:
                if requests.get(self.url + "/", timeout=5).status_code == 200:
                    return self
            except requests.ConnectionError:
                time.sleep(0.2)
        raise AssertionError(f"{self.command} did not answer within {START_TIMEOUT_S} s")

    def kill(self) -> None:
        """kill -9: no shutdown, no cleanup (a crash or a pulled plug)."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def get(self, path: str) -> requests.Response:
        """GET a page; a 500 or a traceback fails the test."""
        response = self.session.get(self.url + path, timeout=60)
        assert response.status_code < 500, (path, response.status_code)
        assert "Traceback" not in response.text
        return response

    def post_form(self, page: str, action: str, data: dict[str, Any]) -> requests.Response:
        """Submit a form as a browser does: the CSRF token from `page`, no redirect followed."""
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get(page).text)
        assert found, f"no CSRF token on {page}"
        form = {"csrf_token": html.unescape(found.group(1)), **data}
        return self.session.post(self.url + action, data=form, allow_redirects=False, timeout=60)

    def job(self, job_id: str) -> dict[str, Any]:
        """The job's state as the app reports it."""
        body: dict[str, Any] = self.get(f"/jobs/{job_id}").json()
        return body

    def wait_job(self, job_id: str, done: Any, timeout_s: float = 120.0) -> dict[str, Any]:
        """Poll the job until done(job) is true."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            job = self.job(job_id)
            if done(job):
                return job
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} never got there: {self.job(job_id)}")
