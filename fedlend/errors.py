"""The FedlendError tree: every refusal the project makes, each saying what to do next."""

from __future__ import annotations

# The root and the refusals fl/ raises live in the shared core (fl never imports fedlend);
# re-exported here, so every refusal is importable from fedlend.errors.
from fedlend_core.errors import (  # noqa: F401
    DataError,
    FedlendError,
    JobCancelledError,
    LedgerDamagedError,
    LedgerError,
    LedgerMissingError,
    PrivacyBudgetError,
    ProofError,
    SpecError,
    UpdateRejectedError,
)


class ConfigError(FedlendError):
    """A setting is missing or malformed (environment variable, key, URL)."""


class DamagedRecordError(ConfigError):
    """A row of a local SQLite file holds a value of the wrong type (damaged or edited by hand)."""


# --- chain -------------------------------------------------------------------------------
class ChainError(FedlendError):
    """Something went wrong talking to the chain."""


class ChainUnavailableError(ChainError):
    """The JSON-RPC endpoint cannot be reached."""


class ContractError(ChainError):
    """The contract refused a call (a decoded custom error)."""

    def __init__(
        self,
        message: str,
        *,
        error_name: str = "",
        args: tuple[object, ...] = (),
        sent_tx: str | None = None,
    ):
        super().__init__(message)
        self.error_name = error_name
        self.error_args = args
        # the hash of a transaction that was broadcast and mined but reverted; None when the call
        # was refused before anything was broadcast (at the gas estimate)
        self.sent_tx = sent_tx


class TransactionFailedError(ChainError):
    """A transaction was mined but failed, or could not be sent."""


class CompileError(ChainError):
    """The Solidity sources failed to compile, or no compiler could be run."""


# --- storage -----------------------------------------------------------------------------
class StorageError(FedlendError):
    """Something went wrong storing or fetching content."""


class StorageUnavailableError(StorageError):
    """The content store (IPFS node or local directory) cannot be reached."""


class ContentNotFoundError(StorageError):
    """No content is stored under that CID."""


class IntegrityError(StorageError):
    """Content does not hash to the CID it was fetched by (tampered or truncated)."""


class BlobTooLargeError(StorageError):
    """A blob exceeds the configured size limit."""


class InvalidCidError(StorageError):
    """A CID or digest is malformed, or not a CIDv1 raw sha2-256 one a 32-byte digest rebuilds."""


# --- sealing -----------------------------------------------------------------------------
class SealingError(FedlendError):
    """A sealed update cannot be opened, or its signature or header does not check out."""

    def __init__(self, message: str, *, reason: str = "invalid"):
        super().__init__(message)
        self.reason = reason  # short code for records and UIs, e.g. "wrong-model", "undecryptable"


# --- data / ML: DataError, SpecError, UpdateRejectedError, PrivacyBudgetError (fedlend_core)


# --- services / apps (JobCancelledError: fedlend_core) ---------------------------------
class NotFoundError(FedlendError):
    """A model, update or job that was asked for does not exist."""


class AlreadyPostedError(FedlendError):
    """This posting (same client-side id) was already mined: nothing is escrowed twice."""

    def __init__(self, model_id: int):
        super().__init__(
            f"this bounty was already posted as model #{model_id} (its transaction was mined); "
            f"nothing was escrowed twice: open model #{model_id}"
        )
        self.model_id = model_id


# --- wallets -----------------------------------------------------------------------------
class WalletError(FedlendError):
    """The browser wallet cannot do what was asked: not connected, wrong account, no answer."""


class WalletNotConnectedError(WalletError):
    """Wallet mode, and no signed-in wallet: the user has to connect and sign in first."""


class SignInError(WalletError):
    """A Sign-In with Ethereum message or signature was refused (domain, chain, nonce, expiry)."""


class WalletRejectedError(JobCancelledError):
    """The user rejected a request in the wallet (EIP-1193 code 4001): a normal outcome."""
