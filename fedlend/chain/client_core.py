"""The client's core: the contract handle, its identity, and one way to call, batch and send."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.contract import Contract

from fedlend.chain import head as one_head
from fedlend.chain.compile import Artifact, load_artifact
from fedlend.chain.events import DEFAULT_PAGE_SIZE
from fedlend.chain.prepared import ExternalSigner
from fedlend.chain.revert import RevertDecoder
from fedlend.chain.rpc import Sent, rpc_errors, send_call
from fedlend.errors import ChainError, ConfigError
from fedlend.types import Address

CONTRACT_NAME = "ModelRepository"
BATCH = 200  # view calls per JSON-RPC batch request


class ClientCore:
    """A contract handle that calls views (once per page scope at the latest head) and sends
    transactions (signed by `account`, or handed to an ExternalSigner such as a browser wallet)."""

    def __init__(
        self,
        w3: Web3,
        address: str,
        account: LocalAccount | ExternalSigner | None = None,
        *,
        artifact: Artifact | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        self.w3 = w3
        self.artifact = artifact or load_artifact(CONTRACT_NAME)
        self.contract: Contract = w3.eth.contract(
            address=Web3.to_checksum_address(address), abi=self.artifact.abi
        )
        self.account = account
        self.page_size = page_size
        self._revert = RevertDecoder(self.artifact.abi)
        self.deploy_receipt: Sent[str] | None = None  # set by deploy()
        self._head_memo: dict[str, tuple[bytes, Any]] = {}
        self._head_lock = threading.Lock()
        self._page_memo = one_head.HeadMemo()

    @property
    def address(self) -> Address:
        """The contract's checksummed address."""
        return Address(self.contract.address)

    @property
    def account_address(self) -> Address | None:
        """The signing account's address (None for a read-only client)."""
        return Address(self.account.address) if self.account else None

    @cached_property
    def chain_id(self) -> int:
        """The chain id of the connected node."""
        with rpc_errors():
            return int(self.w3.eth.chain_id)

    @cached_property
    def deployed_block(self) -> int:
        """The block the contract was deployed in (where event scans start)."""
        return int(self._call("deployedBlock"))

    def latest_block(self) -> Any:
        """The latest block (read once per page scope: see fedlend.chain.head)."""

        def read() -> Any:
            with rpc_errors():
                return self.w3.eth.get_block("latest")

        return one_head.remembered(("latest", id(self.w3)), read)

    def chain_time(self) -> int:
        """The latest block's timestamp (what deadlines are compared with)."""
        return int(self.latest_block()["timestamp"])

    def _call(self, name: str, *args: Any, block: Any = "latest") -> Any:
        """A view call; at "latest", answered once per page scope (fedlend.chain.head)."""

        def read() -> Any:
            with self._revert.translated(), rpc_errors():
                return getattr(self.contract.functions, name)(*args).call(block_identifier=block)

        if block != "latest":
            return read()
        return self._at_page_head(("call", name, args), read)

    def _at_page_head(self, key: tuple[Any, ...], read: Callable[[], Any]) -> Any:
        """read(), shared by the pages that read the same head (every time outside a page)."""
        if not one_head.active() or not _hashable(key):
            return read()
        return self._page_memo.get(bytes(self.latest_block()["hash"]), key, read)

    def _at_head(self, name: str, compute: Callable[[], list[Any]]) -> list[Any]:
        """compute(), remembered until the latest block's hash changes (a restart or reorg too)."""
        head = bytes(self.latest_block()["hash"])
        with self._head_lock:
            hit = self._head_memo.get(name)
        if hit is not None and hit[0] == head:
            return hit[1]
        value = compute()
        with self._head_lock:
            self._head_memo[name] = (head, value)
        return value

    def _batch_calls(self, name: str, args: list[Any]) -> list[Any]:
        """The same view called once per argument, in one JSON-RPC batch request."""
        if len(args) < 2:
            return [self._call(name, a) for a in args]
        with self._revert.translated(), rpc_errors(), self.w3.batch_requests() as batch:
            for arg in args:
                batch.add(getattr(self.contract.functions, name)(arg))
            return list(batch.execute())

    def _who(self, address: str | None, what: str) -> ChecksumAddress:
        who = address or self.account_address
        if who is None:
            raise ConfigError(f"{what}() of whom? pass an address or use a client with an account")
        return Web3.to_checksum_address(who)

    def _send(self, call: Any, *, value: int = 0) -> dict[str, Any]:
        one_head.forget()  # what this page read before the transaction is stale after it
        try:
            return self._send_now(call, value=value)
        finally:
            one_head.forget()

    def _send_now(self, call: Any, *, value: int) -> dict[str, Any]:
        if self.account is None:
            raise ConfigError(
                "this client is read-only: set FEDLEND_PRIVATE_KEY, FEDLEND_KEYSTORE or "
                "FEDLEND_DEV_ACCOUNT to send transactions"
            )
        with self._revert.translated():
            if isinstance(self.account, LocalAccount):
                return send_call(self.w3, self.account, call, value=value)
            return self.account.send(self.w3, call, value=value)

    def _receipt_event(self, receipt: dict[str, Any], name: str) -> dict[str, Any]:
        found = self._receipt_events(receipt, name)
        if not found:
            tx = Web3.to_hex(receipt["transactionHash"])
            raise ChainError(f"transaction {tx} emitted no {name}")
        return found[0]

    def _receipt_events(self, receipt: dict[str, Any], name: str) -> list[dict[str, Any]]:
        event = getattr(self.contract.events, name)()
        return [
            dict(event.process_log(log)["args"])
            for log in receipt["logs"]
            if log["address"] == self.contract.address
            and Web3.to_hex(log["topics"][0]) == event.topic
        ]


def _hashable(key: tuple[Any, ...]) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True


def digest_arg(value: bytes) -> bytes:
    """A 32-byte digest as a bytes32 argument; ValueError for anything else."""
    if not isinstance(value, bytes | bytearray) or len(value) != 32:
        raise ValueError("a digest is 32 raw bytes (sha2-256 of the blob)")
    return bytes(value)
