"""Read one address's history from the connected node: transactions and ERC-20 Transfer logs."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from eth_typing import HexStr
from eth_utils import is_address, is_checksum_address, to_checksum_address
from web3 import Web3
from web3.types import RPCEndpoint

from fedlend.chain.rpc import rpc_errors
from fedlend.errors import ChainError, DataError
from signals.dataset import is_hex_address
from signals.history import MAX_RECORDS, History, TokenTransfer, Transaction

TRANSFER_TOPIC = "0x" + Web3.keccak(text="Transfer(address,address,uint256)").hex().removeprefix(
    "0x"
)
DECIMALS_CALL = HexStr("0x313ce567")  # decimals()
Progress = Callable[[int, int], None]  # (blocks done, blocks to scan)


@dataclass(frozen=True)
class ScanConfig:
    """How far back and how long a scan may go (a local chain is scanned whole)."""

    max_blocks: int = 20_000  # the newest blocks scanned when from_block is not given
    from_block: int | None = None
    to_block: int | None = None
    time_budget_s: float = 60.0
    log_chunk: int = 5_000  # blocks per eth_getLogs call


def parse_address(text: str) -> str:
    """A checksummed address from user input; DataError says whether it is malformed or mistyped."""
    value = (text or "").strip()
    if not is_address(value.lower()) or len(value) != 42:
        raise DataError(
            f"{value[:60]!r} is not an Ethereum address: it must be 0x followed by 40 hex digits"
        )
    mixed = value[2:] != value[2:].lower() and value[2:] != value[2:].upper()
    if mixed and not is_checksum_address(value):
        raise DataError(
            f"{value} fails its checksum (the mixed upper/lower case encodes one): check it "
            "for a typo, or paste it in all lower case to skip the check"
        )
    return to_checksum_address(value.lower())


def scan(
    w3: Web3, address: str, config: ScanConfig = ScanConfig(), progress: Progress | None = None
) -> History:
    """The address's normal transactions and ERC-20 transfers within the configured bounds."""
    me = parse_address(address).lower()
    with rpc_errors("the chain node"):
        chain_id = int(w3.eth.chain_id)
        head = int(w3.eth.block_number) if config.to_block is None else config.to_block
        first = (
            max(0, head - config.max_blocks + 1) if config.from_block is None else config.from_block
        )
        reader = _Reader(w3, me, time.monotonic() + config.time_budget_s)
        last = reader.blocks(first, head, progress)
        transfers = reader.transfers(first, last, config.log_chunk)
    notes = list(reader.notes)
    if first > 0:
        notes.append(f"history before block {first} was not scanned")
    return History(
        address=me,
        transactions=tuple(reader.txs),
        transfers=tuple(transfers),
        source=f"chain {chain_id}, blocks {first}-{last}",
        notes=tuple(notes),
        block=last,
        chain_id=chain_id,
    )


class _Reader:
    """One scan's state: matched records, code and decimals caches, the deadline."""

    def __init__(self, w3: Web3, me: str, deadline: float) -> None:
        self.w3, self.me, self.deadline = w3, me, deadline
        self.txs: list[Transaction] = []
        self.notes: list[str] = []
        self._code: dict[str, bool] = {}
        self._decimals: dict[str, int] = {}
        self._stamps: dict[int, int] = {}

    def blocks(self, first: int, last: int, progress: Progress | None) -> int:
        """Scan blocks first..last for transactions; returns the last block scanned."""
        total = last - first + 1
        for number in range(first, last + 1):
            if time.monotonic() > self.deadline:
                self.notes.append(f"time limit reached: blocks after {number - 1} not scanned")
                return number - 1
            self._block(number)
            if progress and ((number - first) % 50 == 0 or number == last):
                progress(number - first + 1, total)
        return last

    def _block(self, number: int) -> None:
        block = self.w3.eth.get_block(number, full_transactions=True)
        self._stamps[number] = int(block["timestamp"])
        mine: list[Any] = [t for t in block["transactions"] if self._involves(t)]
        if not mine:
            return
        receipts = {_hex(r["transactionHash"]): r for r in self._receipts(number)}
        for tx in mine:
            receipt = receipts.get(_hex(tx["hash"]))
            if receipt is None or _int(receipt.get("status")) != 1:
                continue
            self._add(tx, receipt, int(block["timestamp"]))

    def _involves(self, tx: Any) -> bool:
        sender = str(tx["from"]).lower()
        receiver = str(tx.get("to") or "").lower()
        return self.me in (sender, receiver)

    def _receipts(self, number: int) -> Iterable[Any]:
        response = self.w3.provider.make_request(RPCEndpoint("eth_getBlockReceipts"), [hex(number)])
        result = response.get("result") if isinstance(response, dict) else None
        if not isinstance(result, list):
            raise ChainError(f"the node gave no receipts for block {number}: use an archive node")
        return result

    def _add(self, tx: Any, receipt: Any, stamp: int) -> None:
        if len(self.txs) >= MAX_RECORDS:
            raise ChainError(f"more than {MAX_RECORDS:,} transactions: narrow the block range")
        receiver = str(tx.get("to") or "").lower()
        created = str(receipt.get("contractAddress") or "").lower() if not receiver else ""
        if created and not is_hex_address(created):  # a hostile node's garbage is not a contract
            created, self_note = "", "a receipt carried a malformed contractAddress (ignored)"
            self.note_once(self_note)
        self.txs.append(
            Transaction(
                tx_hash=_hex(tx["hash"]),
                block=int(tx["blockNumber"]),
                timestamp=stamp,
                sender=str(tx["from"]).lower(),
                receiver=receiver,
                value_eth=int(tx["value"]) / 1e18,
                created=created,
                receiver_is_contract=self.is_contract(receiver) if receiver else False,
            )
        )

    def is_contract(self, address: str) -> bool:
        """Whether the address holds code now (cached)."""
        if address not in self._code:
            code = self.w3.eth.get_code(to_checksum_address(address))
            self._code[address] = len(code) > 0
        return self._code[address]

    def transfers(self, first: int, last: int, chunk: int) -> list[TokenTransfer]:
        """ERC-20 Transfer logs from or to the address in first..last."""
        topic = "0x" + "0" * 24 + self.me[2:]
        found: dict[tuple[str, int], TokenTransfer] = {}
        for start in range(first, last + 1, chunk):
            stop = min(last, start + chunk - 1)
            for topics in ([TRANSFER_TOPIC, topic], [TRANSFER_TOPIC, None, topic]):
                logs = self.w3.eth.get_logs({"fromBlock": start, "toBlock": stop, "topics": topics})
                for log in logs:
                    record = self._transfer(log)
                    if record is not None:
                        found[(record.tx_hash, int(log["logIndex"]))] = record
                if len(found) > MAX_RECORDS:
                    raise ChainError(f"more than {MAX_RECORDS:,} transfers: narrow the range")
        return sorted(found.values(), key=lambda t: (t.block, t.tx_hash))

    def _transfer(self, log: Any) -> TokenTransfer | None:
        topics, data = log["topics"], bytes(log["data"])
        if len(topics) != 3 or len(data) != 32:  # ERC-721 Transfers index the id: not ERC-20
            self.note_once("some Transfer logs were not ERC-20 (skipped)")
            return None
        token = str(log["address"]).lower()
        receiver = "0x" + bytes(topics[2])[-20:].hex()
        number = int(log["blockNumber"])
        return TokenTransfer(
            tx_hash=_hex(log["transactionHash"]),
            block=number,
            timestamp=self._stamp(number),
            token=token,
            sender="0x" + bytes(topics[1])[-20:].hex(),
            receiver=receiver,
            amount=int.from_bytes(data, "big") / 10 ** self.decimals(token),
            token_name=token,
            receiver_is_contract=self.is_contract(receiver),
        )

    def decimals(self, token: str) -> int:
        """The token's decimals() (0..36), or 18 if it does not answer sensibly."""
        if token not in self._decimals:
            try:
                raw = self.w3.eth.call({"to": to_checksum_address(token), "data": DECIMALS_CALL})
                value = int.from_bytes(bytes(raw), "big") if len(raw) == 32 else 18
            except Exception:  # a non-standard token: reverts or garbage are both "unknown"
                value = 18
            if not 0 <= value <= 36:
                value = 18
            self._decimals[token] = value
        return self._decimals[token]

    def _stamp(self, number: int) -> int:
        if number not in self._stamps:
            self._stamps[number] = int(self.w3.eth.get_block(number)["timestamp"])
        return self._stamps[number]

    def note_once(self, note: str) -> None:
        """Add a note unless it is already there."""
        if note not in self.notes:
            self.notes.append(note)


def _int(value: Any) -> int:
    """An int from a node's hex string or int (anything else: -1)."""
    if isinstance(value, int):
        return value
    try:
        return int(str(value), 16)
    except ValueError:
        return -1


def _hex(value: Any) -> str:
    text = value.hex() if isinstance(value, bytes | bytearray) else str(value)
    return (text if text.startswith("0x") else "0x" + text).lower()
