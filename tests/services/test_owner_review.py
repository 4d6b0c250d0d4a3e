"""A contribution whose local estimate got worse asks first: no means nothing is submitted (the ε
stays spent), yes submits; one that improved never asks."""

from __future__ import annotations

import pytest

from fedlend.services.contribution import ContributeJob
from fedlend.services.lender import PostedModel
from fedlend.services.owner_review import LocalChange, SubmissionDeclinedError, approved
from fl.train import TrainConfig
from tests.market import Market, PostBounty

TINY_EPSILON = 0.05  # so much noise that a trained base gets worse on the owner's own loans


@pytest.fixture(scope="module")
def trained_base(posted: PostBounty) -> PostedModel:
    return posted(target=0.8)  # the base is trained on the lender's own loans


def test_no_keeps_the_update_back_and_says_the_epsilon_stays_spent(
    market: Market, trained_base: PostedModel, loan_csvs: dict[str, bytes]
) -> None:
    owner = market.owner(1)
    sha = owner.add_dataset(loan_csvs["owner1"], name="owner1").sha256
    asked: list[LocalChange] = []

    def no(change: LocalChange) -> bool:
        asked.append(change)
        return False

    with pytest.raises(SubmissionDeclinedError, match="Nothing was sent to the lender") as info:
        owner.contribute(
            trained_base.model_id, sha, TrainConfig(TINY_EPSILON, seed=3), ContributeJob(confirm=no)
        )
    [change] = asked
    assert f"ε {change.epsilon:.3g} spent on training stays spent" in str(info.value)
    assert change.worse
    assert change.after < change.before
    assert change.model_id == trained_base.model_id
    assert owner.privacy(sha)[0].epsilon == pytest.approx(change.epsilon)
    assert market.node(0).client.get_model(trained_base.model_id).update_count == 0
    assert owner.submissions() == []


def test_yes_submits_the_worse_update(
    market: Market, trained_base: PostedModel, loan_csvs: dict[str, bytes]
) -> None:
    owner = market.owner(2)
    sha = owner.add_dataset(loan_csvs["owner2"], name="owner2").sha256
    asked: list[LocalChange] = []

    def yes(change: LocalChange) -> bool:
        asked.append(change)
        return True

    done = owner.contribute(
        trained_base.model_id, sha, TrainConfig(TINY_EPSILON, seed=4), ContributeJob(confirm=yes)
    )
    assert len(asked) == 1
    assert done.local_after < done.local_before
    record = market.node(0).client.get_update(done.update_id)
    assert record.submitter == owner.node.address


def test_an_improving_update_is_submitted_without_asking(
    market: Market, posted: PostBounty, loan_csvs: dict[str, bytes]
) -> None:
    model = posted(target=0.8, base="zero")
    owner = market.owner(3)
    sha = owner.add_dataset(loan_csvs["owner1"], name="owner1").sha256

    def never(change: LocalChange) -> bool:
        raise AssertionError(f"asked although the estimate improved: {change}")

    done = owner.contribute(
        model.model_id, sha, TrainConfig(3.0, seed=5), ContributeJob(confirm=never)
    )
    assert done.local_after > done.local_before


@pytest.mark.parametrize(
    ("before", "after", "answer", "declined"),
    [(0.7, 0.6, False, True), (0.7, 0.6, True, False), (0.6, 0.7, False, False)],
)
def test_approved_asks_only_when_worse(
    before: float, after: float, answer: bool, declined: bool
) -> None:
    change = LocalChange(1, "roc_auc", before, after, 1.0, 1e-5)
    if declined:
        with pytest.raises(SubmissionDeclinedError, match=r"fell from 0\.7000 to 0\.6000"):
            approved(change, lambda _c: answer)
    else:
        approved(change, lambda _c: answer)
    approved(change, None)  # no one to ask (CLI, demo): submitted as before
