"""The service layer end to end on a real Anvil, the embedded store and real loans."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fedlend.errors import DataError, FedlendError, PrivacyBudgetError, SpecError
from fedlend.services.bounty_terms import BountyTerms
from fedlend.services.evaluation import evaluate_pending, weight_versions
from fedlend.services.owner import OwnerService
from fedlend.types import ModelStatus, UpdateStatus
from fl.train import TrainConfig
from tests.market import LoanCsvs, Market, PostBounty


def test_contribution_is_evaluated_paid_and_withdrawn_to_the_wei(
    market: Market, posted: PostBounty, loan_csvs: LoanCsvs
) -> None:
    model = posted(target=0.80, bounty_wei=3 * 10**18, base="zero")  # starts at AUC 0.5
    owner, lender = market.owner(1), market.lender()
    sha = owner.add_dataset(loan_csvs["owner1"], name="my loans").sha256
    start = owner.node.balance()
    contribution = owner.contribute(model.model_id, sha, TrainConfig(2.0, seed=1))
    assert contribution.epsilon == pytest.approx(2.0, rel=0.05)

    [verdict] = evaluate_pending(lender, model.model_id)
    assert verdict.accepted, verdict.reason  # a DP model of real loans beats AUC 0.5
    record = lender.node.client.get_update(contribution.update_id)
    assert record.status == UpdateStatus.ACCEPTED
    assert record.reward_wei == verdict.reward_wei
    best = lender.node.client.get_model(model.model_id).best_score
    assert best == verdict.score
    expected = 3 * 10**18 * (best - model.initial_score) // (8000 - model.initial_score)
    assert expected > 0
    assert verdict.reward_wei == expected
    assert verdict.share_bps == 10_000
    assert len(weight_versions(lender, model.model_id)) == 2
    assert owner.owed() == expected
    withdrawn = owner.withdraw()
    assert withdrawn.value == expected
    assert owner.owed() == 0
    fees = contribution.sent.fee_wei + withdrawn.fee_wei
    assert owner.node.balance() == start + expected - fees
    [submission] = [s for s in owner.submissions() if s.record.model_id == model.model_id]
    assert submission.epsilon == pytest.approx(contribution.epsilon)


def test_an_update_for_one_model_submitted_to_another_is_refused(
    market: Market, posted: PostBounty, loan_csvs: LoanCsvs
) -> None:
    first, second = posted(), posted()
    owner, lender = market.owner(2), market.lender()
    sha = owner.add_dataset(loan_csvs["owner2"], name="loans").sha256
    c = owner.contribute(first.model_id, sha, TrainConfig(1.0, seed=2))
    # a copier (dev 3) resubmits the sealed bytes under its own name to the second model
    copier = market.node(3)
    update_id = copier.client.submit_update(second.model_id, c.digest).value
    [verdict] = evaluate_pending(lender, second.model_id)
    assert verdict.update_id == update_id
    assert not verdict.accepted
    assert verdict.share_bps == 0
    assert "copied blob" in verdict.reason
    assert copier.client.owed(copier.address) == 0


def _owner_with_loans(market: Market, loan_csvs: LoanCsvs) -> tuple[OwnerService, str]:
    owner = market.owner(4)
    return owner, owner.add_dataset(loan_csvs["owner1"], name="loans").sha256


def test_privacy_budget_is_enforced_across_submissions(
    market: Market, posted: PostBounty, loan_csvs: LoanCsvs
) -> None:
    model = posted()
    owner, sha = _owner_with_loans(market, loan_csvs)
    owner.set_budget(sha, epsilon=1.2)
    owner.contribute(model.model_id, sha, TrainConfig(1.0, seed=3))
    with pytest.raises(PrivacyBudgetError, match="budget"):
        owner.contribute(model.model_id, sha, TrainConfig(1.0, seed=4))
    spent, budget, remaining = owner.privacy(sha)
    assert spent.epsilon == pytest.approx(1.0, rel=0.05)
    assert remaining.epsilon == pytest.approx(budget.epsilon - spent.epsilon)


def test_a_contribution_without_an_epsilon_is_refused_before_anything_is_spent(
    market: Market, posted: PostBounty, loan_csvs: LoanCsvs
) -> None:
    model = posted()
    owner, sha = _owner_with_loans(market, loan_csvs)
    before = owner.privacy(sha)[0]
    with pytest.raises(PrivacyBudgetError, match="give it an ε budget"):
        owner.contribute(model.model_id, sha, TrainConfig(None))
    assert owner.privacy(sha)[0] == before
    assert all(s.record.model_id != model.model_id for s in owner.submissions())


def test_expired_model_refuses_contributions_and_lender_reclaims(
    market: Market, posted: PostBounty, loan_csvs: LoanCsvs, advance_time: Callable[[int], int]
) -> None:
    model = posted(duration=3600, bounty_wei=10**17)
    owner, lender = market.owner(5), market.lender()
    sha = owner.add_dataset(loan_csvs["owner2"], name="loans").sha256
    advance_time(3601)
    with pytest.raises(FedlendError, match="expired"):
        owner.contribute(model.model_id, sha, TrainConfig(1.0))
    assert lender.reclaim(model.model_id).value == 10**17
    assert lender.node.client.get_model(model.model_id).status == ModelStatus.RECLAIMED


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"a,b\n1,2\n", "default"),
        (b"\x00\x01\x02binary", "not CSV"),
    ],
)
def test_bad_lender_data_is_refused_with_a_reason(
    market: Market, data: bytes, message: str
) -> None:
    lender = market.lender()
    terms = BountyTerms("x", 7500, 10**15, lender.node.client.chain_time() + 999)
    with pytest.raises(DataError, match=message):
        lender.post_bounty(data, terms)


def test_target_below_initial_score_is_refused(posted: PostBounty) -> None:
    with pytest.raises(SpecError, match="set a target above"):
        posted(target=0.5)


def test_data_check_names_missing_columns(
    market: Market, posted: PostBounty, loan_csvs: LoanCsvs
) -> None:
    model = posted()
    owner = market.owner(6)
    text = loan_csvs["owner1"].decode().splitlines()
    header = text[0].split(",")
    drop = header.index("annual_inc")
    cut = "\n".join(
        ",".join(c for i, c in enumerate(line.split(",")) if i != drop) for line in text[:200]
    )
    report = owner.check_data(cut.encode(), model_id=model.model_id)
    assert not report.ok
    assert "annual_inc" in report.missing_columns
