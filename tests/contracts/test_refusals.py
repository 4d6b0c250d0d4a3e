"""Every refusal of ModelRepository, through the Python client: decoded custom error, no effect."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from eth_account.signers.local import LocalAccount

from fedlend.chain.anvil import set_balance
from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.terms import ModelTerms
from fedlend.errors import ContractError
from fedlend.types import Digest
from tests.contracts.helpers import ContractKit, refused, snapshot_counts

SHORT = 120  # seconds: models that tests expire on purpose
REVIEW = 3600  # the review window new_model gives (the contract's minimum)


@dataclass
class World:
    """The actors and helpers a refusal scenario needs."""

    lender: ModelRepositoryClient
    owner: ModelRepositoryClient
    stranger: ModelRepositoryClient
    new_model: Callable[..., int]
    advance_time: Callable[[int], int]
    digest: Callable[[], Digest]
    now: Callable[[], int]

    def create(self, **overrides: object) -> Callable[[], object]:
        args: dict[str, object] = {
            "weights": self.digest(),
            "spec": self.digest(),
            "initial_score": 5000,
            "target_score": 8000,
            "deadline": self.now() + 3600,
            "bounty_wei": 10**15,
            **overrides,
        }
        return lambda: self.lender.create_model(ModelTerms(**args))  # type: ignore[arg-type]

    def submitted(self, model_id: int) -> int:
        return self.owner.submit_update(model_id, self.digest()).value

    def completed_model(self) -> int:
        model_id = self.new_model(bounty_wei=1000)
        self.lender.evaluate_update(self.submitted(model_id), score=9000, new_weights=self.digest())
        return model_id

    def reclaimed_model(self) -> int:
        model_id = self.new_model(bounty_wei=1000, duration=SHORT)
        self.advance_time(SHORT + 1)
        self.lender.reclaim(model_id)
        return model_id


@pytest.fixture
def world(
    repo: ModelRepositoryClient,
    client_for: Callable[[LocalAccount | None], ModelRepositoryClient],
    dev_accounts: list[LocalAccount],
    new_model: Callable[..., int],
    advance_time: Callable[[int], int],
    make_digest: Callable[[], Digest],
    chain_now: Callable[[], int],
) -> World:
    stranger = client_for(dev_accounts[2])
    if stranger.owed(dev_accounts[2].address) > 0:  # paid by another file on the session contract
        stranger.withdraw()
    return World(
        lender=repo,
        owner=client_for(dev_accounts[1]),
        stranger=stranger,
        new_model=new_model,
        advance_time=advance_time,
        digest=make_digest,
        now=chain_now,
    )


def _double_evaluation(w: World, *, first_score: int) -> Callable[[], object]:
    update_id = w.submitted(w.new_model())
    w.lender.evaluate_update(update_id, score=first_score, new_weights=w.digest())
    return lambda: w.lender.evaluate_update(update_id, score=7000, new_weights=w.digest())


def _expired_model(w: World) -> int:
    model_id = w.new_model(duration=SHORT)
    w.advance_time(SHORT + 1)
    return model_id


def _pending_of_reclaimed(w: World) -> Callable[[], object]:
    model_id = w.new_model(duration=SHORT)
    update_id = w.submitted(model_id)
    w.advance_time(SHORT + REVIEW + 1)
    w.lender.reclaim(model_id)
    return lambda: w.lender.evaluate_update(update_id, score=6000, new_weights=w.digest())


def _pending_after_window(w: World) -> tuple[int, int]:
    model_id = w.new_model(duration=SHORT)
    update_id = w.submitted(model_id)
    w.advance_time(SHORT + REVIEW + 1)
    return model_id, update_id


def _round(w: World, n: int = 2) -> tuple[int, list[int]]:
    model_id = w.new_model()
    return model_id, [w.submitted(model_id) for _ in range(n)]


def _round_call(
    w: World, shares: list[int], score: int, *, n: int | None = None
) -> Callable[[], object]:
    model_id, ids = _round(w, len(shares) if n is None else n)
    return lambda: w.lender.evaluate_round(
        model_id, ids, shares, score=score, new_weights=w.digest()
    )


def _round_with(w: World, make_ids: Callable[[int, list[int]], list[int]]) -> Callable[[], object]:
    model_id, ids = _round(w)
    chosen = make_ids(model_id, ids)
    return lambda: w.lender.evaluate_round(
        model_id, chosen, [5000] * len(chosen), score=6000, new_weights=w.digest()
    )


def _stranger_round(w: World) -> Callable[[], object]:
    model_id, ids = _round(w)
    return lambda: w.stranger.evaluate_round(
        model_id, ids, [0, 0], score=1000, new_weights=w.digest()
    )


def _claim_early(w: World) -> Callable[[], object]:
    update_id = w.submitted(w.new_model(duration=SHORT))
    w.advance_time(SHORT + 1)  # past the deadline, inside the review window
    return lambda: w.stranger.claim_unreviewed(update_id)


def _claim_judged(w: World) -> Callable[[], object]:
    model_id = w.new_model(duration=SHORT)
    update_id = w.submitted(model_id)
    w.lender.evaluate_update(update_id, score=4000, new_weights=w.digest())
    w.advance_time(SHORT + REVIEW + 1)
    return lambda: w.owner.claim_unreviewed(update_id)


def _claim_twice(w: World) -> Callable[[], object]:
    _, update_id = _pending_after_window(w)
    w.owner.claim_unreviewed(update_id)
    return lambda: w.owner.claim_unreviewed(update_id)


def _reclaim_with_pending(w: World) -> Callable[[], object]:
    model_id = w.new_model(duration=SHORT)
    w.submitted(model_id)
    w.advance_time(SHORT + 1)
    return lambda: w.lender.reclaim(model_id)


SCENARIOS: list[tuple[str, Callable[[World], Callable[[], object]], str]] = [
    # createModel
    ("zero bounty", lambda w: w.create(bounty_wei=0), "ZeroBounty"),
    (
        "initial equals target",
        lambda w: w.create(initial_score=6000, target_score=6000),
        "BadScoreRange",
    ),
    (
        "initial above target",
        lambda w: w.create(initial_score=7000, target_score=6000),
        "BadScoreRange",
    ),
    (
        "target above 10000",
        lambda w: w.create(initial_score=5000, target_score=10_001),
        "BadScoreRange",
    ),
    ("deadline in the past", lambda w: w.create(deadline=w.now() - 1), "DeadlineInPast"),
    ("deadline is now", lambda w: w.create(deadline=w.now()), "DeadlineInPast"),
    ("zero weights digest", lambda w: w.create(weights=bytes(32)), "ZeroDigest"),
    ("zero spec digest", lambda w: w.create(spec=bytes(32)), "ZeroDigest"),
    ("deadline beyond uint40", lambda w: w.create(deadline=2**40), "DeadlineTooFar"),
    ("review period 0", lambda w: w.create(review_period=0), "BadReviewPeriod"),
    ("review period under an hour", lambda w: w.create(review_period=3599), "BadReviewPeriod"),
    (
        "review period over 30 days",
        lambda w: w.create(review_period=30 * 86400 + 1),
        "BadReviewPeriod",
    ),
    # submitUpdate
    ("submit to model 0", lambda w: lambda: w.owner.submit_update(0, w.digest()), "UnknownModel"),
    (
        "submit to a model not yet created",
        lambda w: lambda: w.owner.submit_update(w.lender.model_count() + 1, w.digest()),
        "UnknownModel",
    ),
    (
        "submit after the deadline",
        lambda w: (lambda m: lambda: w.owner.submit_update(m, w.digest()))(_expired_model(w)),
        "DeadlinePassed",
    ),
    (
        "submit to a completed model",
        lambda w: (lambda m: lambda: w.owner.submit_update(m, w.digest()))(w.completed_model()),
        "ModelNotOpen",
    ),
    (
        "submit to a reclaimed model",
        lambda w: (lambda m: lambda: w.owner.submit_update(m, w.digest()))(w.reclaimed_model()),
        "ModelNotOpen",
    ),
    (
        "zero update digest",
        lambda w: (lambda m: lambda: w.owner.submit_update(m, Digest(bytes(32))))(w.new_model()),
        "ZeroDigest",
    ),
    # evaluateUpdate
    (
        "evaluate update 0",
        lambda w: lambda: w.lender.evaluate_update(0, score=6000, new_weights=w.digest()),
        "UnknownUpdate",
    ),
    (
        "evaluate an update not yet submitted",
        lambda w: (
            lambda: w.lender.evaluate_update(
                w.lender.update_count() + 1, score=6000, new_weights=w.digest()
            )
        ),
        "UnknownUpdate",
    ),
    (
        "non-lender evaluates",
        lambda w: (
            lambda u: lambda: w.stranger.evaluate_update(u, score=6000, new_weights=w.digest())
        )(w.submitted(w.new_model())),
        "NotLender",
    ),
    (
        "submitter evaluates its own update",
        lambda w: (
            lambda u: lambda: w.owner.evaluate_update(u, score=9000, new_weights=w.digest())
        )(w.submitted(w.new_model())),
        "NotLender",
    ),
    (
        "evaluate an accepted update again",
        lambda w: _double_evaluation(w, first_score=6000),
        "AlreadyEvaluated",
    ),
    (
        "evaluate a rejected update again",
        lambda w: _double_evaluation(w, first_score=4000),
        "AlreadyEvaluated",
    ),
    (
        "score above 10000",
        lambda w: (
            lambda u: lambda: w.lender.evaluate_update(u, score=10_001, new_weights=w.digest())
        )(w.submitted(w.new_model())),
        "ScoreOutOfRange",
    ),
    (
        "accept with zero new weights",
        lambda w: (
            lambda u: lambda: w.lender.evaluate_update(u, score=6000, new_weights=Digest(bytes(32)))
        )(w.submitted(w.new_model())),
        "ZeroDigest",
    ),
    ("evaluate after reclaim", _pending_of_reclaimed, "ModelNotOpen"),
    (
        "evaluate after the review window",
        lambda w: (
            lambda u: lambda: w.lender.evaluate_update(u, score=6000, new_weights=w.digest())
        )(_pending_after_window(w)[1]),
        "ReviewWindowClosed",
    ),
    # evaluateRound
    ("empty round", lambda w: _round_call(w, [], 6000, n=0), "EmptyRound"),
    (
        "round of 101",
        lambda w: (
            lambda m: (
                lambda: w.lender.evaluate_round(
                    m, range(1, 102), [0] * 101, score=0, new_weights=w.digest()
                )
            )
        )(w.new_model()),
        "RoundTooLarge",
    ),
    ("fewer shares than updates", lambda w: _round_call(w, [10_000], 6000, n=2), "LengthMismatch"),
    ("improving shares sum below 10000", lambda w: _round_call(w, [5000, 4999], 6000), "BadShares"),
    ("improving shares sum above 10000", lambda w: _round_call(w, [5000, 5001], 6000), "BadShares"),
    ("improving round pays nobody", lambda w: _round_call(w, [0, 0], 6000), "BadShares"),
    ("non-improving round pays someone", lambda w: _round_call(w, [0, 10_000], 5000), "BadShares"),
    ("round score above 10000", lambda w: _round_call(w, [0, 0], 10_001), "ScoreOutOfRange"),
    (
        "round names an update twice",
        lambda w: _round_with(w, lambda _m, ids: [ids[0], ids[0]]),
        "AlreadyEvaluated",
    ),
    (
        "round names another model's update",
        lambda w: _round_with(w, lambda _m, ids: [ids[0], w.submitted(w.new_model())]),
        "WrongModel",
    ),
    (
        "round by a non-lender",
        _stranger_round,
        "NotLender",
    ),
    # claimUnreviewed
    (
        "claim an unknown update",
        lambda w: lambda: w.owner.claim_unreviewed(w.lender.update_count() + 1),
        "UnknownUpdate",
    ),
    ("claim inside the review window", _claim_early, "ReviewWindowOpen"),
    ("claim a judged update", _claim_judged, "AlreadyEvaluated"),
    ("claim twice", _claim_twice, "AlreadyEvaluated"),
    # reclaim
    ("reclaim model 0", lambda w: lambda: w.lender.reclaim(0), "UnknownModel"),
    (
        "non-lender reclaims",
        lambda w: (lambda m: lambda: w.stranger.reclaim(m))(_expired_model(w)),
        "NotLender",
    ),
    (
        "reclaim before the deadline",
        lambda w: (lambda m: lambda: w.lender.reclaim(m))(w.new_model()),
        "DeadlineNotReached",
    ),
    ("reclaim with updates pending in the window", _reclaim_with_pending, "UpdatesPending"),
    (
        "reclaim twice",
        lambda w: (lambda m: lambda: w.lender.reclaim(m))(w.reclaimed_model()),
        "AlreadyReclaimed",
    ),
    # withdraw
    ("withdraw with nothing owed", lambda w: w.stranger.withdraw, "NothingOwed"),
]


@pytest.mark.parametrize(
    ("setup", "error"), [pytest.param(s, e, id=name) for name, s, e in SCENARIOS]
)
def test_refused_with_custom_error_and_no_effect(
    world: World, setup: Callable[[World], Callable[[], object]], error: str
) -> None:
    action = setup(world)
    before = snapshot_counts(world.lender)
    owed_before = [world.lender.owed(c.account_address) for c in (world.lender, world.owner)]
    with refused(error):
        action()
    assert snapshot_counts(world.lender) == before
    assert [
        world.lender.owed(c.account_address) for c in (world.lender, world.owner)
    ] == owed_before


def test_bounty_above_uint96_is_refused(
    kit: ContractKit,
    chain_now: Callable[[], int],
) -> None:
    rich = kit.accounts[9]
    set_balance(kit.repo.w3, rich.address, 2**97)
    with refused("BountyTooLarge") as info:
        kit.repo.with_account(rich).create_model(
            ModelTerms(
                weights=kit.digest(),
                spec=kit.digest(),
                initial_score=0,
                target_score=10_000,
                deadline=chain_now() + 600,
                bounty_wei=2**96,
            )
        )
    assert info.value.error_args == (2**96, 2**96 - 1)


def test_messages_say_what_happened_and_what_to_do(world: World) -> None:
    model_id = _expired_model(world)
    deadline = world.lender.get_model(model_id).deadline
    with pytest.raises(ContractError) as info:
        world.owner.submit_update(model_id, world.digest())
    message = str(info.value)
    assert f"model {model_id}: deadline passed at 20" in message
    assert "no longer takes updates" in message
    assert info.value.error_args == (model_id, deadline)
    with pytest.raises(ContractError, match=r"nothing is owed to 0x[0-9a-fA-F]{40}"):
        world.stranger.withdraw()
    with pytest.raises(ContractError, match=r"need initial < target <= 10000"):
        world.create(initial_score=9000, target_score=8000)()
