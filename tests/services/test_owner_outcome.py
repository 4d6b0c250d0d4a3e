"""An owner's submission outcome in plain words: pending, accepted with its share, not used,
not accepted (each from the on-chain record alone)."""

from __future__ import annotations

import pytest

from fedlend.services.owner import Submission
from fedlend.services.owner_views import SubmissionView
from fedlend.types import Address, BasisPoints, Digest, UpdateRecord, UpdateStatus, Wei


def _view(status: UpdateStatus, score: int, reward: int) -> SubmissionView:
    record = UpdateRecord(
        update_id=3,
        model_id=1,
        submitter=Address("0x" + "11" * 20),
        digest=Digest(b"\x01" * 32),
        submitted_at=0,
        status=status,
        score=BasisPoints(score),
        reward_wei=Wei(reward),
    )
    submission = Submission(record, "abc", 2.0, 2000, 0.7)
    return SubmissionView(submission, "t", "roc_auc", "loans.csv", 0.69, bounty_wei=2 * 10**18)


@pytest.mark.parametrize(
    ("status", "score", "reward", "words"),
    [
        (UpdateStatus.PENDING, 0, 0, "Waiting for the lender to score it"),
        (
            UpdateStatus.ACCEPTED,
            6912,
            653_620_352_250_489_236,
            "Accepted: with your update the model scored 0.6912 roc_auc; it earned you "
            "0.6536 ETH (32.7% of the bounty)",
        ),
        (UpdateStatus.REJECTED, 0, 0, "Not used: the lender could not open or check it"),
        (
            UpdateStatus.REJECTED,
            6701,
            0,
            "Not accepted: with your update the model scored 0.6701 roc_auc, which did not beat",
        ),
    ],
)
def test_outcomes_are_plain_words(
    status: UpdateStatus, score: int, reward: int, words: str
) -> None:
    assert _view(status, score, reward).outcome.startswith(words)
