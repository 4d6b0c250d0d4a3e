"""The FedlendError tree: every refusal the project makes, each saying what to do next."""

from __future__ import annotations


class FedlendError(Exception):
    """Root of every error fedlend raises on purpose; its message is safe to show a user."""


class ConfigError(FedlendError):
    """A setting is missing or malformed (environment variable, key, URL)."""


# --- chain -------------------------------------------------------------------------------
class ChainError(FedlendError):
    """Something went wrong talking to the chain."""


class ChainUnavailableError(ChainError):
    """The JSON-RPC endpoint cannot be reached."""


class ContractError(ChainError):
    """The contract refused a call (a decoded custom error)."""

    def __init__(self, message: str, *, error_name: str = "", args: tuple[object, ...] = ()):
        super().__init__(message)
        self.error_name = error_name
        self.error_args = args


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


# --- data / ML ---------------------------------------------------------------------------
class DataError(FedlendError):
    """A CSV or dataset is malformed: missing columns, bad values, empty file."""


class SpecError(FedlendError):
    """A model spec is malformed or does not match the data or weights."""


class UpdateRejectedError(FedlendError):
    """An incoming model update failed validation (shape, dtype, finiteness, norm, size)."""


class PrivacyBudgetError(FedlendError):
    """Training would exceed the owner's differential-privacy budget for this dataset."""


class LedgerError(PrivacyBudgetError):
    """The privacy ledger cannot be trusted, so training is refused until it is rebuilt."""


class LedgerMissingError(LedgerError):
    """The privacy ledger file is gone where one existed: never silently start from zero."""


class LedgerDamagedError(LedgerError):
    """The privacy ledger is corrupt, of an unknown format, or disagrees with itself."""


# --- services / apps ---------------------------------------------------------------------
class NotFoundError(FedlendError):
    """A model, update or job that was asked for does not exist."""


class AlreadyPostedError(FedlendError):
    """This posting (same client-side id) was already mined: nothing is escrowed twice."""

    def __init__(self, model_id: int):
        super().__init__(
            f"this bounty was already posted as model #{model_id} (its transaction was mined); "
            "nothing was escrowed twice: open model #{model_id}".replace(
                "{model_id}", str(model_id)
            )
        )
        self.model_id = model_id


class JobCancelledError(FedlendError):
    """A background job was cancelled by the user."""


# --- wallets -----------------------------------------------------------------------------
class WalletError(FedlendError):
    """The browser wallet cannot do what was asked: not connected, wrong account, no answer."""


class WalletNotConnectedError(WalletError):
    """Wallet mode, and no signed-in wallet: the user has to connect and sign in first."""


class SignInError(WalletError):
    """A Sign-In with Ethereum message or signature was refused (domain, chain, nonce, expiry)."""


class WalletRejectedError(JobCancelledError):
    """The user rejected a request in the wallet (EIP-1193 code 4001): a normal outcome."""
