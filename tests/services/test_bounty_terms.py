"""A bounty's terms: every reason they cannot be posted, named; good terms have none."""

from __future__ import annotations

import dataclasses

import pytest

from fedlend.chain.terms import ModelTerms
from fedlend.services.bounty_terms import BountyTerms
from fedlend.types import Digest

NOW = 1_000_000
GOOD = BountyTerms("Default model", target_score=8000, bounty_wei=10**18, deadline=NOW + 3600)


def test_good_terms_have_no_problems() -> None:
    assert GOOD.problems(balance_wei=10**18, chain_time=NOW) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"title": "  "}, "give a title of 1-120 characters"),
        ({"title": "x" * 121}, "give a title of 1-120 characters"),
        ({"target_score": 0}, "the target score must be in (0, 1] (got 0)"),
        ({"target_score": 10_001}, "the target score must be in (0, 1] (got 1.0001)"),
        ({"bounty_wei": 0}, "the bounty must be more than 0 ETH"),
        ({"bounty_wei": 10**18 + 1}, "the bounty is more than this account's balance"),
        ({"deadline": NOW}, "the deadline must be in the future"),
        ({"base": "copied"}, "base must be one of ('own-data', 'zero')"),
        ({"base_fraction": 0.95}, "the share of your data used to train the base model"),
        ({"review_period": 3599}, "the review period must be 1 hour to 30 days"),
        ({"review_period": 30 * 86_400 + 1}, "the review period must be 1 hour to 30 days"),
        ({"verified": True, "model_kind": "mlp"}, "only a logistic regression can be verified"),
    ],
)
def test_each_bad_term_is_named(change: dict[str, object], problem: str) -> None:
    terms = dataclasses.replace(GOOD, **change)  # type: ignore[arg-type]
    [found] = terms.problems(balance_wei=10**18, chain_time=NOW)
    assert found.startswith(problem)


def test_a_zero_base_ignores_the_fraction_and_problems_add_up() -> None:
    zero = dataclasses.replace(GOOD, base="zero", base_fraction=5.0)
    assert zero.problems(balance_wei=10**18, chain_time=NOW) == []
    both = dataclasses.replace(GOOD, bounty_wei=0, deadline=NOW - 1)
    assert len(both.problems(balance_wei=10**18, chain_time=NOW)) == 2


def test_a_verified_logistic_regression_is_fine() -> None:
    verified = dataclasses.replace(GOOD, verified=True)
    assert verified.problems(balance_wei=10**18, chain_time=NOW) == []


def test_the_terms_become_what_create_model_takes() -> None:
    terms = dataclasses.replace(GOOD, review_period=2 * 3600)
    weights, spec = Digest(b"\x01" * 32), Digest(b"\x02" * 32)
    sent = terms.model_terms(weights=weights, spec=spec, initial_score=6100)
    assert sent == ModelTerms(
        weights=weights,
        spec=spec,
        initial_score=6100,
        target_score=8000,
        deadline=NOW + 3600,
        bounty_wei=10**18,
        review_period=7200,
    )
