"""Start a throwaway js-ipfs node, offline, with its RPC API on a free loopback port."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
IPFS_DIR = ROOT / "tools" / "ipfs"
JSIPFS = IPFS_DIR / "node_modules" / ".bin" / "jsipfs"
SHIM = IPFS_DIR / "promise-with-resolvers.cjs"
INSTALL_HINT = "run `make ipfs` (npm ci in tools/ipfs: about 3.5 minutes, once per clone)"


class IpfsNodeError(RuntimeError):
    """The js-ipfs test node could not be initialised or did not become ready."""


@dataclass
class IpfsNode:
    """A running js-ipfs daemon: its RPC API URL, repo directory and process."""

    url: str
    repo: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Stop the daemon (SIGTERM, then SIGKILL after 10 s)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self) -> str:
        """The daemon's output so far (for failure messages)."""
        try:
            return (self.repo.parent / "daemon.log").read_text(errors="replace")[-3000:]
        except OSError:
            return ""


def installed() -> bool:
    """True once `make ipfs` has installed js-ipfs."""
    return JSIPFS.exists()


def start_node(workdir: Path, *, ready_timeout: float = 60.0) -> IpfsNode:
    """Initialise a repo in `workdir`, start `jsipfs daemon --offline` and wait for its API."""
    if shutil.which("node") is None:
        raise IpfsNodeError("node (Node.js 20) is not on PATH; js-ipfs needs it")
    repo = workdir / "repo"
    api, gateway, rpc = _free_ports(3)
    env = _node_env(repo)
    config = workdir / "config.json"
    config.write_text(json.dumps(_offline_config(api, gateway, rpc)))
    init = subprocess.run(
        [str(JSIPFS), "init", "--emptyRepo", "--defaultConfig", str(config)],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    if init.returncode != 0:
        raise IpfsNodeError(f"jsipfs init failed: {init.stderr.decode(errors='replace')[-2000:]}")
    log = (workdir / "daemon.log").open("wb")
    process = subprocess.Popen(
        [str(JSIPFS), "daemon", "--offline"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    node = IpfsNode(url=f"http://127.0.0.1:{api}", repo=repo, process=process)
    _wait_ready(node, ready_timeout)
    return node


def _offline_config(api: int, gateway: int, rpc: int) -> dict[str, object]:
    """No swarm listeners, peers, discovery or NAT: a node that never touches a network."""
    return {
        "Addresses": {
            "Swarm": [],
            "API": f"/ip4/127.0.0.1/tcp/{api}",
            "Gateway": f"/ip4/127.0.0.1/tcp/{gateway}",
            "RPC": f"/ip4/127.0.0.1/tcp/{rpc}",
            "Delegates": [],
        },
        "Bootstrap": [],
        "Discovery": {"MDNS": {"Enabled": False}, "webRTCStar": {"Enabled": False}},
        "Swarm": {"DisableNatPortMap": True},
        "Pubsub": {"Enabled": False},
    }


def _node_env(repo: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["IPFS_PATH"] = str(repo)
    env["NODE_OPTIONS"] = f"{env.get('NODE_OPTIONS', '')} --require {SHIM}".strip()
    env.pop("DEBUG", None)
    return env


def _wait_ready(node: IpfsNode, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if node.process.poll() is not None:
            raise IpfsNodeError(
                f"jsipfs daemon exited with {node.process.returncode}:\n{node.log()}"
            )
        try:
            reply = requests.post(f"{node.url}/api/v0/version", timeout=2)
            if reply.ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    node.stop()
    raise IpfsNodeError(
        f"jsipfs daemon did not answer on {node.url} within {timeout:.0f} s:\n{node.log()}"
    )


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
