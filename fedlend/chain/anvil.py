"""Start and stop a real Anvil from node_modules on 127.0.0.1; wait until it answers eth_chainId."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from web3 import Web3
from web3.types import RPCEndpoint

from fedlend.errors import ChainError, ChainUnavailableError, ConfigError
from fedlend.settings import LOCAL_CHAIN_ID, ROOT

ANVIL_GLOB = "node_modules/@foundry-rs/anvil-*/bin/anvil"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8545
READY_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
START_ATTEMPTS = 3


def find_anvil() -> Path:
    """The Anvil binary: $FEDLEND_ANVIL, else the one npm put in node_modules/."""
    override = os.environ.get("FEDLEND_ANVIL")
    if override:
        path = Path(override)
        if not path.is_file():
            raise ConfigError(f"FEDLEND_ANVIL={override} is not a file: fix it or unset it")
        return path
    for path in sorted(ROOT.glob(ANVIL_GLOB)):
        if path.is_file() and os.access(path, os.X_OK):
            return path
    raise ChainUnavailableError(
        f"no Anvil binary under {ROOT / 'node_modules'}: run `make setup` (npm ci installs it)"
    )


def free_port(host: str = DEFAULT_HOST) -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = DEFAULT_HOST) -> bool:
    """True if something already listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def rpc_chain_id(rpc_url: str, *, timeout: float = 2.0) -> int:
    """eth_chainId over plain HTTP; raises OSError/ValueError while the node is not up."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
    request = urllib.request.Request(  # noqa: S310  (our own http://127.0.0.1 URL)
        rpc_url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return int(json.loads(response.read())["result"], 16)


class AnvilProcess:
    """A real Anvil child process; use as a context manager or call start()/stop()."""

    def __init__(
        self,
        *,
        host: str = DEFAULT_HOST,
        port: int | None = None,
        state_file: Path | None = None,
        chain_id: int = LOCAL_CHAIN_ID,
        accounts: int = 10,
        block_time: float | None = None,
        log_file: Path | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.state_file = state_file
        self.chain_id = chain_id
        self.accounts = accounts
        self.block_time = block_time
        self.log_file = log_file
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115  (read if Anvil dies at start)

    @property
    def rpc_url(self) -> str:
        """http://host:port of the running node."""
        if self.port is None:
            raise ChainUnavailableError("Anvil is not started: call start() first")
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self._proc.pid if self._proc else None

    def is_running(self) -> bool:
        """True while the child process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self, *, timeout: float = READY_TIMEOUT) -> AnvilProcess:
        """Launch Anvil and return once it answers eth_chainId (retrying busy free ports)."""
        fixed_port = self.port is not None
        if fixed_port and port_in_use(self.port):  # type: ignore[arg-type]
            raise ChainUnavailableError(
                f"port {self.port} is busy: is a chain already running? stop it or use another port"
            )
        for attempt in range(1 if fixed_port else START_ATTEMPTS):
            if not fixed_port:
                self.port = free_port(self.host)
            try:
                self._launch(timeout=timeout)
                return self
            except ChainUnavailableError:
                self.stop()
                if fixed_port or attempt == START_ATTEMPTS - 1:
                    raise
        return self  # pragma: no cover  (loop always returns or raises)

    def stop(self) -> None:
        """Stop Anvil gracefully (it writes --state on the way out); kill it if it hangs."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=STOP_TIMEOUT)

    def wait(self) -> int:
        """Block until the child exits (the foreground `fedlend chain`); return its exit code."""
        if self._proc is None:
            return 0
        return self._proc.wait()

    def command(self) -> list[str]:
        """The argv Anvil is started with (never prints keys: --silent)."""
        argv = [str(find_anvil()), "--host", self.host, "--port", str(self.port)]
        argv += ["--chain-id", str(self.chain_id), "--accounts", str(self.accounts), "--silent"]
        if self.block_time:
            argv += ["--block-time", str(self.block_time)]
        if self.state_file is not None:
            argv += ["--state", str(self.state_file), "--state-interval", "5"]
        return argv

    def _launch(self, *, timeout: float) -> None:
        if self.state_file is not None:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        try:
            self._proc = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=self._stderr
            )
        finally:
            if self.log_file:
                log.close()  # type: ignore[union-attr]
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is None:
                raise ChainUnavailableError("Anvil was never started: call start() first")
            if self._proc.poll() is not None:
                self._stderr.seek(0)
                err = self._stderr.read().decode(errors="replace")
                raise ChainUnavailableError(f"Anvil exited at start: {err.strip()[-500:]}")
            try:
                if rpc_chain_id(self.rpc_url, timeout=1.0) == self.chain_id:
                    return
            except (OSError, ValueError, KeyError, urllib.error.URLError):
                time.sleep(0.05)
        raise ChainUnavailableError(f"Anvil did not answer on {self.rpc_url} in {timeout:.0f} s")

    def __enter__(self) -> AnvilProcess:
        return self.start() if not self.is_running() else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"AnvilProcess(rpc_url=http://{self.host}:{self.port}, running={self.is_running()})"


def start_anvil(**options: object) -> AnvilProcess:
    """Start an Anvil (see AnvilProcess for options) and return it once ready."""
    return AnvilProcess(**options).start()  # type: ignore[arg-type]


# --- Anvil's development RPC methods (a local chain only) ----------------------------------
def dev_rpc(w3: Web3, method: str, params: list[Any]) -> Any:
    """Call an Anvil dev method (evm_*, anvil_*) and return its result; ChainError if refused."""
    answer = w3.provider.make_request(RPCEndpoint(method), params)
    if "error" in answer:
        raise ChainError(f"{method} failed: {answer['error']}; is {w3.provider} a local Anvil?")
    return answer.get("result")


def advance_time(w3: Web3, seconds: int) -> None:
    """Move the local chain's clock `seconds` ahead and mine a block at the new time."""
    dev_rpc(w3, "evm_increaseTime", [int(seconds)])
    dev_rpc(w3, "evm_mine", [])


def snapshot(w3: Web3) -> str:
    """Snapshot the whole local chain (clock included); revert_to(w3, id) goes back to it."""
    return str(dev_rpc(w3, "evm_snapshot", []))


def revert_to(w3: Web3, snapshot_id: str) -> None:
    """Return the local chain to a snapshot; ChainError if Anvil no longer holds it."""
    if dev_rpc(w3, "evm_revert", [snapshot_id]) is not True:
        raise ChainError(f"evm_revert {snapshot_id} was refused: take a new snapshot")


def set_balance(w3: Web3, address: str, wei: int) -> None:
    """Give a local account exactly `wei`."""
    dev_rpc(w3, "anvil_setBalance", [address, hex(wei)])
