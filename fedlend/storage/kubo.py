"""A small client for the Kubo RPC API (/api/v0 add, cat, pin/add, block/stat) over requests."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from fedlend.errors import (
    ConfigError,
    ContentNotFoundError,
    IntegrityError,
    InvalidCidError,
    StorageError,
    StorageUnavailableError,
)
from fedlend.settings import DEFAULT_MAX_BLOB_BYTES
from fedlend.storage.base import check_size
from fedlend.storage.cid import cid_for, normalize_cid, verify_content

KUBO_MAX_CHUNK = 1 << 20  # Kubo refuses chunkers over 1 MiB, so no blob may be larger
MAX_REPLY_BYTES = 64 * 1024  # JSON replies (add, pin, stat, version) are tiny
RETRY_STATUSES = frozenset({502, 503, 504})
HTTP_MARGIN = 5.0  # seconds the HTTP read waits beyond the node-side timeout
# Error messages meaning "the node does not have it" (Kubo) or "could not find it in time" (both).
_NOT_FOUND_HINTS = (
    "not found",
    "no link named",
    "could not find",
    "request timed out",
    "context deadline exceeded",
)


class KuboStore:
    """Content on an IPFS node (Kubo, IPFS Desktop or js-ipfs) reached through its RPC API."""

    def __init__(
        self,
        url: str,
        *,
        max_blob_bytes: int = DEFAULT_MAX_BLOB_BYTES,
        timeout: float = 30.0,
        has_timeout: float = 2.0,
        connect_timeout: float = 3.0,
        retries: int = 2,
        backoff: float = 0.3,
    ) -> None:
        if not 0 < max_blob_bytes <= KUBO_MAX_CHUNK:
            raise ConfigError(
                f"FEDLEND_MAX_BLOB_BYTES={max_blob_bytes} cannot be used with an IPFS node: "
                f"a blob must fit one raw block of at most {KUBO_MAX_CHUNK} bytes"
            )
        self.url = _base_url(url)
        self.max_blob_bytes = max_blob_bytes
        self._timeout = timeout
        self._has_timeout = has_timeout
        self._connect_timeout = connect_timeout
        self._retries = retries
        self._backoff = backoff
        self._session = requests.Session()

    def __repr__(self) -> str:
        return f"KuboStore({self.url!r})"

    def put(self, data: bytes) -> str:
        """Add `data` as ONE raw block (CIDv1, raw leaves, a chunker >= the blob), pinned."""
        check_size(len(data), self.max_blob_bytes, what="blob to store")
        params = {
            "cid-version": "1",
            "raw-leaves": "true",
            "hash": "sha2-256",
            "chunker": f"size-{self.max_blob_bytes}",
            "pin": "true",
        }
        files = {"file": ("blob", data, "application/octet-stream")}
        reply = self._json(self._call("add", params, files=files))
        expected = cid_for(data)
        got = str(reply.get("Hash", ""))
        if _canonical(got) != expected:
            raise IntegrityError(
                f"the IPFS node at {self.url} stored the blob as {got!r}, not the raw-block CID "
                f"{expected}; it may not honour raw-leaves/chunker: use Kubo >= 0.8 or js-ipfs"
            )
        return expected

    def get(self, cid: str) -> bytes:
        """Fetch `cid` (reading at most max_blob_bytes + 1 bytes) and verify it."""
        cid = normalize_cid(cid)
        params = {"arg": cid, "length": str(self.max_blob_bytes + 1), **self._node_timeout()}
        data = self._read_capped(self._call("cat", params, stream=True), self.max_blob_bytes, cid)
        verify_content(cid, data)
        return data

    def pin(self, cid: str) -> None:
        """Pin `cid` on the node so its garbage collector keeps it."""
        cid = normalize_cid(cid)
        reply = self._json(self._call("pin/add", {"arg": cid, **self._node_timeout()}))
        if cid not in {_canonical(str(p)) for p in reply.get("Pins", [])}:
            raise StorageError(f"the IPFS node at {self.url} did not confirm pinning {cid}")

    def has(self, cid: str) -> bool:
        """True if the node holds the block itself (asked offline: no network search)."""
        cid = normalize_cid(cid)
        params = {"arg": cid, "offline": "true", **self._node_timeout(self._has_timeout)}
        try:
            self._json(self._call("block/stat", params))
        except ContentNotFoundError:
            return False
        return True

    def version(self) -> str:
        """The node's version string (a cheap liveness check)."""
        return str(self._json(self._call("version", {})).get("Version", "unknown"))

    def _node_timeout(self, seconds: float | None = None) -> dict[str, str]:
        """The node-side `timeout` option (Kubo and js-ipfs): give up finding content in time."""
        return {"timeout": f"{int((seconds or self._timeout) * 1000)}ms"}

    def _call(
        self,
        command: str,
        params: Mapping[str, str],
        *,
        files: Mapping[str, Any] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """POST one RPC command, retrying connection failures and gateway errors."""
        endpoint = f"{self.url}/api/v0/{command}"
        for attempt in range(self._retries + 1):
            try:
                response = self._session.post(
                    endpoint,
                    params=params,
                    files=files,
                    timeout=(self._connect_timeout, self._timeout + HTTP_MARGIN),
                    stream=stream,
                )
            except (requests.ConnectionError, requests.ConnectTimeout) as exc:
                if attempt < self._retries:
                    time.sleep(self._backoff * 2**attempt)
                    continue
                raise self._unavailable(exc) from exc
            except requests.Timeout as exc:
                raise StorageUnavailableError(
                    f"the IPFS node at {self.url} did not answer {command} within "
                    f"{self._timeout + HTTP_MARGIN:.0f} s; check that it is healthy"
                ) from exc
            if response.status_code in RETRY_STATUSES and attempt < self._retries:
                response.close()
                time.sleep(self._backoff * 2**attempt)
                continue
            return self._check(command, params, response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _check(
        self, command: str, params: Mapping[str, str], response: requests.Response
    ) -> requests.Response:
        if response.ok:
            return response
        try:
            message = self._json(response).get("Message", "")
        except StorageError:
            message = ""
        message = str(message or response.reason)[:300]
        if any(hint in message.lower() for hint in _NOT_FOUND_HINTS):
            raise ContentNotFoundError(
                f"the IPFS node at {self.url} could not find {params.get('arg', '')} "
                f"({message}); is it pinned on a node this one can reach?"
            )
        raise StorageError(
            f"the IPFS node at {self.url} refused {command} (HTTP {response.status_code}): "
            f"{message}"
        )

    def _read_capped(self, response: requests.Response, limit: int, what: str) -> bytes:
        """Stream a body, refusing (and dropping the connection) past `limit` bytes."""
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(chunk_size=64 * 1024):
                size += len(chunk)
                check_size(size, limit, what=what)
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise StorageUnavailableError(
                f"the IPFS node at {self.url} broke off while sending {what}: {exc}"
            ) from exc
        finally:
            response.close()
        return b"".join(chunks)

    def _json(self, response: requests.Response) -> dict[str, Any]:
        """The last JSON object of a (possibly newline-delimited) reply."""
        body = self._read_capped(response, MAX_REPLY_BYTES, "an RPC reply")
        lines = [line for line in body.splitlines() if line.strip()]
        try:
            value = json.loads(lines[-1]) if lines else {}
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise StorageError(
                f"the IPFS node at {self.url} sent a reply that is not JSON"
            ) from exc
        if not isinstance(value, dict):
            raise StorageError(f"the IPFS node at {self.url} sent an unexpected reply")
        return value

    def _unavailable(self, exc: Exception) -> StorageUnavailableError:
        return StorageUnavailableError(
            f"cannot reach the IPFS node at {self.url} ({type(exc).__name__}); start it "
            "(`ipfs daemon`, or open IPFS Desktop) or unset FEDLEND_IPFS_URL to use the "
            "embedded local store"
        )


def _canonical(cid: str) -> str | None:
    """A node's CID in fedlend's canonical form (js-ipfs answers in base58btc), or None."""
    try:
        return normalize_cid(cid)
    except InvalidCidError:
        return None


def _base_url(url: str) -> str:
    """Validate an RPC API URL such as http://127.0.0.1:5001 (an /api/v0 suffix is dropped)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(
            f"FEDLEND_IPFS_URL must look like http://127.0.0.1:5001 (the node's RPC API), "
            f"got {url!r}"
        )
    path = parts.path.rstrip("/").removesuffix("/api/v0")
    return f"{parts.scheme}://{parts.netloc}{path}"
