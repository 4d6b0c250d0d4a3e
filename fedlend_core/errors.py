"""The FedlendError root and the refusals fl/ raises (fedlend.errors re-exports them all)."""

from __future__ import annotations


class FedlendError(Exception):
    """Root of every error fedlend raises on purpose; its message is safe to show a user."""


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


class JobCancelledError(FedlendError):
    """A background job was cancelled by the user."""


class ProofError(FedlendError):
    """A zero-knowledge proof could not be made or checked (circuit, keys, SRS or proof file)."""
