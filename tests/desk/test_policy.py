"""Decisions are monotone in PD; prices follow the formula; the trade-off table is consistent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk.policy import APPROVE, DECISIONS, Policy, Pricing, tradeoffs
from desk.scoring import Desk, ScoringModel
from fedlend.errors import DataError
from fl.features import encode

RANK = {d: i for i, d in enumerate(DECISIONS)}


@given(
    st.floats(0.01, 0.5), st.floats(0.0, 0.5), st.lists(st.floats(0, 1), min_size=2, max_size=50)
)
def test_a_decision_never_gets_better_as_pd_rises(
    approve: float, gap: float, pds: list[float]
) -> None:
    policy = Policy(approve, min(1.0, approve + gap))
    ranks = [RANK[policy.decide(p)] for p in sorted(pds)]
    assert ranks == sorted(ranks)


def test_decisions_on_real_applications_are_monotone(
    logreg_scorer: ScoringModel, applications: pd.DataFrame
) -> None:
    batch = logreg_scorer.score_frame(applications, Desk(policy=Policy(0.1, 0.2)))
    clean = sorted((r.pd, RANK[r.decision]) for r in batch.rows if not r.flags)
    assert [rank for _, rank in clean] == sorted(rank for _, rank in clean)
    assert {r.decision for r in batch.rows if not r.flags} == set(DECISIONS)


@pytest.mark.parametrize(("approve", "decline"), [(0.0, 0.2), (0.3, 0.2), (0.1, 1.5)])
def test_bad_cutoffs_are_refused(approve: float, decline: float) -> None:
    with pytest.raises(DataError, match="cutoffs"):
        Policy(approve, decline)


def test_apr_is_cost_of_funds_plus_expected_loss_plus_margin() -> None:
    pricing = Pricing(cost_of_funds=0.05, lgd=0.5, margin=0.02)
    assert pricing.apr(0.1) == pytest.approx(0.05 + 0.05 + 0.02)
    assert "LGD 50%" in pricing.formula


def test_tradeoff_table_on_the_validation_set(
    logreg_scorer: ScoringModel, validation: pd.DataFrame
) -> None:
    data = encode(logreg_scorer.spec, validation)
    pds = logreg_scorer.pd(data.X)
    rows = tradeoffs(pds, data.labels, lgd=0.6)
    rates = [r.approval_rate for r in rows]
    assert rates == sorted(rates)
    assert rates[-1] > rates[0]
    for row in rows:
        approved = pds < row.cutoff
        assert row.approval_rate == pytest.approx(approved.mean())
        if approved.any():
            assert row.default_rate == pytest.approx(data.labels[approved].mean())
            assert row.expected_loss == pytest.approx(pds[approved].mean() * 0.6)
    assert APPROVE == "approve"


def test_a_tradeoff_table_needs_labels() -> None:
    with pytest.raises(DataError):
        tradeoffs(np.array([0.1, 0.2]), np.array([1.0]), lgd=0.5)
