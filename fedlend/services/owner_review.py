"""The owner's review between training and submitting: a worse local estimate asks first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fedlend.errors import FedlendError


@dataclass(frozen=True)
class LocalChange:
    """What training did to the owner's own estimate, and the privacy it already spent."""

    model_id: int
    metric: str
    before: float
    after: float
    epsilon: float
    delta: float

    @property
    def worse(self) -> bool:
        """Whether the trained model scores lower on the owner's own loans (both metrics rise)."""
        return self.after < self.before


Confirm = Callable[[LocalChange], bool]  # True: submit anyway; False: keep the update back


class SubmissionDeclinedError(FedlendError):
    """The owner chose not to submit an update whose local estimate got worse."""


def approved(change: LocalChange, confirm: Confirm | None) -> None:
    """Return if the update may be submitted; SubmissionDeclinedError if the owner said no."""
    if confirm is None or not change.worse or confirm(change):
        return
    raise SubmissionDeclinedError(
        f"you chose not to submit: {change.metric} on your own loans fell from "
        f"{change.before:.4f} to {change.after:.4f}. Nothing was sent to the lender, but the "
        f"ε {change.epsilon:.3g} spent on training stays spent; try another ε or dataset"
    )
