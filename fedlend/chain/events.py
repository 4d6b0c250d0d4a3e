"""Read ModelRepository history from logs, page by page, decoded into one dataclass per event
(the dataclasses: fedlend.chain.event_types, importable from here too)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from eth_utils import keccak
from web3 import Web3
from web3._utils.events import get_event_data

from fedlend.chain.event_types import (
    EVENT_TYPES,
    RENAMES,
    BountyReclaimed,
    ChainEvent,
    LogPosition,
    ModelCompleted,
    ModelCreated,
    ReviewWindowClosed,
    RoundEvaluated,
    UpdateEvaluated,
    UpdateSubmitted,
    Withdrawn,
)
from fedlend.chain.rpc import rpc_errors
from fedlend.errors import ChainError
from fedlend.types import UpdateStatus

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "EVENT_TYPES",
    "BountyReclaimed",
    "ChainEvent",
    "EventCursor",
    "EventReader",
    "LogPosition",
    "ModelCompleted",
    "ModelCreated",
    "ReviewWindowClosed",
    "RoundEvaluated",
    "UpdateEvaluated",
    "UpdateSubmitted",
    "Withdrawn",
    "block_pages",
]

DEFAULT_PAGE_SIZE = 2_000
MAX_DECODED = 200_000  # decoded logs remembered per process
_DECODED: OrderedDict[tuple[bytes, int, str, bytes], Any] = OrderedDict()
_DECODED_LOCK = threading.Lock()


class EventReader:
    """Fetches and decodes a ModelRepository's logs in block pages of `page_size`."""

    def __init__(
        self,
        w3: Web3,
        address: str,
        abi: list[dict[str, Any]],
        *,
        start_block: int = 0,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1 block")
        self.w3 = w3
        self.address = Web3.to_checksum_address(address)
        self.start_block = start_block
        self.page_size = page_size
        self._by_topic: dict[bytes, dict[str, Any]] = {}
        for item in abi:
            if item.get("type") == "event" and item["name"] in EVENT_TYPES:
                types = ",".join(arg["type"] for arg in item["inputs"])
                self._by_topic[keccak(text=f"{item['name']}({types})")] = item

    def fetch(
        self,
        *,
        names: Iterable[str] | None = None,
        model_id: int | None = None,
        update_id: int | None = None,
        from_block: int | None = None,
        to_block: int | None = None,
    ) -> list[ChainEvent]:
        """Events in [from_block, to_block] (default: deployment to latest), oldest first.

        model_id filters on the first indexed argument, update_id on the second.
        """
        wanted = set(EVENT_TYPES if names is None else names)
        if unknown := wanted - set(EVENT_TYPES):
            raise ValueError(f"unknown event names {sorted(unknown)}: use {sorted(EVENT_TYPES)}")
        if model_id is not None:
            wanted.discard("Withdrawn")  # its first indexed argument is an account
        if update_id is not None:
            wanted &= {"UpdateSubmitted", "UpdateEvaluated"}  # the only ones indexing an update
        if not wanted:
            return []
        topic0 = [Web3.to_hex(t) for t, abi in self._by_topic.items() if abi["name"] in wanted]
        topics: list[Any] = [topic0, _topic(model_id), _topic(update_id)]
        while topics and topics[-1] is None:
            topics.pop()
        with rpc_errors():
            last = self.w3.eth.block_number if to_block is None else to_block
        first = self.start_block if from_block is None else from_block
        events: list[ChainEvent] = []
        for low, high in block_pages(first, last, self.page_size):
            events.extend(self._decode(log) for log in self._get_logs(low, high, topics))
        return sorted(events, key=lambda e: (e.at.block_number, e.at.log_index))

    def _get_logs(self, low: int, high: int, topics: list[Any]) -> list[Any]:
        params = {"address": self.address, "fromBlock": low, "toBlock": high, "topics": topics}
        with rpc_errors():
            return list(self.w3.eth.get_logs(params))  # type: ignore[arg-type]

    def _decode(self, log: Any) -> ChainEvent:
        """One log as its event dataclass; ChainError if the node returned a malformed log.

        Decoding is slow in web3 (ms per log), so decoded logs are remembered by block hash,
        log index and contract: a reorg changes the block hash, so a cached copy never lies."""
        key = _log_key(log, self.address)
        with _DECODED_LOCK:
            found = _DECODED.get(key) if key else None
        if found is not None:
            return found
        event = self._decode_checked(log)
        if key:
            with _DECODED_LOCK:
                _DECODED[key] = event
                while len(_DECODED) > MAX_DECODED:
                    _DECODED.popitem(last=False)
        return event

    def _decode_checked(self, log: Any) -> ChainEvent:
        try:
            return self._decode_log(log)
        except ChainError:
            raise
        except Exception as exc:  # web3/eth-abi raise many types for malformed log data
            raise ChainError(
                f"the chain node returned a malformed contract log ({type(exc).__name__}): "
                "check FEDLEND_RPC_URL points at a trustworthy node"
            ) from exc

    def _decode_log(self, log: Any) -> ChainEvent:
        abi = self._by_topic.get(bytes(log["topics"][0]))
        if abi is None:
            raise ChainError(f"log with unknown topic in tx {Web3.to_hex(log['transactionHash'])}")
        data = get_event_data(self.w3.codec, abi, log)
        fields = {RENAMES.get(k, k): v for k, v in data["args"].items()}
        if "status" in fields:
            fields["status"] = UpdateStatus(fields["status"])
        at = LogPosition(
            int(data["blockNumber"]), int(data["logIndex"]), Web3.to_hex(data["transactionHash"])
        )
        return EVENT_TYPES[abi["name"]](at=at, **fields)


class EventCursor:
    """Incremental sync: each poll() returns the events since the previous poll."""

    def __init__(self, reader: EventReader, *, next_block: int | None = None) -> None:
        self.reader = reader
        self.next_block = reader.start_block if next_block is None else next_block

    def poll(self) -> list[ChainEvent]:
        """New events up to the latest block; remembers where it stopped."""
        with rpc_errors():
            latest = self.reader.w3.eth.block_number
        if latest < self.next_block:
            return []
        events = self.reader.fetch(from_block=self.next_block, to_block=latest)
        self.next_block = latest + 1
        return events


def _log_key(log: Any, address: str) -> tuple[bytes, int, str, bytes] | None:
    try:
        return (bytes(log["blockHash"]), int(log["logIndex"]), address, bytes(log["topics"][0]))
    except (KeyError, TypeError, ValueError, IndexError):
        return None


def block_pages(first: int, last: int, page_size: int) -> Iterator[tuple[int, int]]:
    """Inclusive (low, high) block ranges of at most page_size blocks covering first..last."""
    low = first
    while low <= last:
        high = min(low + page_size - 1, last)
        yield low, high
        low = high + 1


def _topic(value: int | None) -> str | None:
    return None if value is None else Web3.to_hex(value.to_bytes(32, "big"))
