"""An address's history as plain records: normal transactions and ERC-20 transfers (any source)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fedlend_core.errors import DataError
from signals.dataset import is_hex_address

MAX_RECORDS = 200_000


@dataclass(frozen=True)
class Transaction:
    """One normal transaction; `receiver` is "" for a contract creation (see `created`)."""

    tx_hash: str
    block: int
    timestamp: int  # seconds since the epoch
    sender: str
    receiver: str
    value_eth: float
    created: str = ""  # the contract this transaction created, if any
    receiver_is_contract: bool | None = None  # None: the source cannot tell


@dataclass(frozen=True)
class TokenTransfer:
    """One ERC-20 Transfer; `amount` is in whole tokens (raw amount / 10**decimals)."""

    tx_hash: str
    block: int
    timestamp: int
    token: str  # the token contract's address
    sender: str
    receiver: str
    amount: float
    token_name: str = ""  # the token's name or symbol when known, else its address
    receiver_is_contract: bool | None = None


@dataclass(frozen=True)
class History:
    """Everything one source knows about an address, and what it could not tell."""

    address: str  # lower-case 0x + 40 hex
    transactions: tuple[Transaction, ...] = ()
    transfers: tuple[TokenTransfer, ...] = ()
    source: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    block: int | None = None  # the block the history was read up to, if from a chain
    chain_id: int | None = None

    def __post_init__(self) -> None:
        if not is_hex_address(self.address) or self.address != self.address.lower():
            raise DataError(f"history address {self.address!r} must be lower-case 0x + 40 hex")
        if len(self.transactions) + len(self.transfers) > MAX_RECORDS:
            raise DataError(f"history of {self.address} exceeds {MAX_RECORDS:,} records")

    @property
    def size(self) -> int:
        """Normal transactions plus token transfers."""
        return len(self.transactions) + len(self.transfers)

    def counterparties(self) -> list[str]:
        """The other side of every record, one entry per record ("" for creations)."""
        out: list[str] = []
        records: tuple[Transaction | TokenTransfer, ...] = (*self.transactions, *self.transfers)
        for tx in records:
            other = tx.receiver if tx.sender == self.address else tx.sender
            if not other and isinstance(tx, Transaction):
                other = tx.created
            out.append(other)
        return out
