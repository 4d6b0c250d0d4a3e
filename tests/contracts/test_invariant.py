"""A seeded random walk of 400 calls against a fresh ModelRepository, checked after every step.

The calls: createModel, submitUpdate, evaluateUpdate, evaluateRound, claimUnreviewed, reclaim,
withdraw and jumps of the clock (some past whole review windows). A Python shadow predicts each
call's outcome (value or custom error name) in exact wei. After every step the chain must show:
contract balance == sum(owed) + sum(unspent bounties); each model paid out exactly
bounty - remaining <= bounty; and the shadow's owed/remaining/pending figures, wei for wei.
Set FEDLEND_WALK_SEED to explore other walks.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from fedlend.chain.anvil import advance_time
from fedlend.chain.client import ModelRepositoryClient
from fedlend.chain.terms import ModelTerms
from fedlend.errors import ContractError
from fedlend.types import Digest
from tests.contracts.helpers import read_books

T = TypeVar("T")

STEPS = 400
SEED = int(os.environ.get("FEDLEND_WALK_SEED", "1729"))
MARGIN = 3  # seconds: never act this close to a deadline (block time may tick meanwhile)
OPEN, COMPLETED, RECLAIMED = 0, 1, 2
PENDING, ACCEPTED, REJECTED, EXPIRED = 0, 1, 2, 3
REVIEW_MIN = 3600


@dataclass
class SModel:
    lender: str
    bounty: int
    initial: int
    target: int
    deadline: int
    remaining: int = 0
    best: int = 0
    status: int = OPEN
    paid: int = 0
    review: int = REVIEW_MIN
    pending: int = 0
    closed: bool = False
    share: int = 0
    ghost: bool = False  # its lender never judges on purpose: its owners must claim

    @property
    def review_ends(self) -> int:
        return self.deadline + self.review

    def close(self) -> None:
        """The first claim or reclaim after the window fixes each pending update's share."""
        if not self.closed:
            self.share = self.remaining // self.pending if self.pending else 0
            self.closed = True


@dataclass
class SUpdate:
    model_id: int
    submitter: str
    status: int = PENDING


@dataclass
class Shadow:
    models: dict[int, SModel] = field(default_factory=dict)
    updates: dict[int, SUpdate] = field(default_factory=dict)
    owed: Counter[str] = field(default_factory=Counter)
    seen: list[Digest] = field(default_factory=list)


class Walk:
    """One random walk: picks a call, predicts it, makes it, compares, checks the invariant."""

    def __init__(self, repo: ModelRepositoryClient, accounts: list[LocalAccount], seed: int):
        self.rng = random.Random(seed)
        self.clients: dict[str, ModelRepositoryClient] = {
            a.address: repo.with_account(a) for a in accounts
        }
        self.addresses = list(self.clients)
        self.repo = repo
        self.s = Shadow()
        self.tally: Counter[str] = Counter()

    # --- helpers ---------------------------------------------------------------------------
    def now(self) -> int:
        return int(self.repo.w3.eth.get_block("latest")["timestamp"])

    def advance(self, seconds: int) -> None:
        advance_time(self.repo.w3, seconds)

    def clear_of(self, *moments: int) -> int:
        """The chain time, first moved past any of `moments` it is within MARGIN of."""
        now = self.now()
        while any(abs(now - m) <= MARGIN for m in moments):
            self.advance(2 * MARGIN + 1)
            now = self.now()
        return now

    def who(self, preferred: str | None = None, p: float = 0.85) -> str:
        if preferred and self.rng.random() < p:
            return preferred
        return self.rng.choice(self.addresses)

    def pick_id(self, count: int, likely: list[int] | None = None) -> int:
        """Mostly one of `likely` (where the interesting calls are), else any id, rarely unknown."""
        if likely and self.rng.random() < 0.8:
            return self.rng.choice(likely)
        return self.rng.randint(1, count) if count and self.rng.random() > 0.05 else count + 1

    def expect(self, name: str, predicted: str | None, call: Callable[[], T]) -> T | None:
        """Make `call`; it must fail with `predicted` error (or succeed if None)."""
        if predicted is None:
            self.tally[name] += 1
            return call()
        with pytest.raises(ContractError) as info:
            call()
        assert info.value.error_name == f"ModelRepository{predicted}", (name, str(info.value))
        self.tally[f"{name}:{predicted}"] += 1
        return None

    # --- operations --------------------------------------------------------------------------
    def create(self) -> None:
        rng, now = self.rng, self.now()
        lender = self.who(self.addresses[0] if rng.random() < 0.5 else self.addresses[1])
        bounty = rng.choice([1, 7, 999, 10**15 + rng.randint(0, 10**9), rng.randint(1, 5) * 10**18])
        bounty = 0 if rng.random() < 0.05 else bounty
        initial = rng.randint(0, 9_000)
        target = initial + rng.randint(1, 10_000 - initial)
        target = rng.choice([initial, 10_001]) if rng.random() < 0.08 else target
        deadline = now - 5 if rng.random() < 0.04 else now + rng.randint(30, 900)
        review = rng.choice([REVIEW_MIN, REVIEW_MIN, 2 * REVIEW_MIN, rng.randint(REVIEW_MIN, 9000)])
        review = REVIEW_MIN - 1 if rng.random() < 0.04 else review
        error = (
            "ZeroBounty"
            if bounty == 0
            else "BadScoreRange"
            if not initial < target <= 10_000
            else "DeadlineInPast"
            if deadline <= now + MARGIN
            else "BadReviewPeriod"
            if review < REVIEW_MIN
            else None
        )
        digest = Digest(os.urandom(32))
        sent = self.expect(
            "create",
            error,
            lambda: self.clients[lender].create_model(
                ModelTerms(
                    weights=digest,
                    spec=Digest(os.urandom(32)),
                    initial_score=initial,
                    target_score=target,
                    deadline=deadline,
                    bounty_wei=bounty,
                    review_period=review,
                )
            ),
        )
        if sent is not None:
            model = SModel(
                lender, bounty, initial, target, deadline, bounty, initial, review=review
            )
            model.ghost = rng.random() < 0.3
            self.s.models[sent.value] = model
            assert sent.value == len(self.s.models)

    def submit(self) -> None:
        now = self.now()
        open_ids = [i for i, m in self.s.models.items() if m.status == OPEN and m.deadline > now]
        model_id = self.pick_id(len(self.s.models), open_ids)
        model = self.s.models.get(model_id)
        replay = self.s.seen and self.rng.random() < 0.1
        digest = self.rng.choice(self.s.seen) if replay else Digest(os.urandom(32))
        now = self.clear_of(model.deadline) if model else self.now()
        error = (
            "UnknownModel"
            if model is None
            else "ModelNotOpen"
            if model.status != OPEN
            else "DeadlinePassed"
            if now >= model.deadline
            else None  # a replayed or copied digest is not refused: the lender judges the blob
        )
        sender = self.who()
        sent = self.expect(
            "submit", error, lambda: self.clients[sender].submit_update(model_id, digest)
        )
        if sent is not None:
            self.s.seen.append(digest)
            self.tally["replayed"] += bool(replay)
            self.s.models[model_id].pending += 1
            self.s.updates[sent.value] = SUpdate(model_id, sender)
            assert sent.value == len(self.s.updates)

    def judgeable(self) -> list[int]:
        """Pending updates whose lender may still judge them."""
        now = self.now()
        return [
            i
            for i, u in self.s.updates.items()
            if u.status == PENDING
            and not self.s.models[u.model_id].ghost
            and self.s.models[u.model_id].status != RECLAIMED
            and now < self.s.models[u.model_id].review_ends
        ]

    def evaluate(self) -> None:
        pending = self.judgeable()
        update_id = self.pick_id(len(self.s.updates), pending)
        update = self.s.updates.get(update_id)
        model = self.s.models[update.model_id] if update else None
        caller = self.who(model.lender if model else None)
        score = 10_001 if self.rng.random() < 0.03 else self.rng.randint(0, 10_000)
        if model and self.rng.random() < 0.6:  # mostly near the current best: small steps
            score = max(0, min(10_000, model.best + self.rng.randint(-300, 1_200)))
        if model:
            self.clear_of(model.review_ends)
        error = self._evaluate_error(update, model, caller, score)
        weights = Digest(os.urandom(32))
        client = self.clients[caller]
        sent = self.expect(
            "evaluate",
            error,
            lambda: client.evaluate_update(update_id, score=score, new_weights=weights),
        )
        if sent is None:
            return
        assert update is not None
        assert model is not None
        reward = self._apply_evaluation(update, model, score)
        self.tally["accepted" if update.status == ACCEPTED else "rejected"] += 1
        self.tally["completed"] += model.status == COMPLETED and update.status == ACCEPTED
        assert sent.value.reward_wei == reward
        assert sent.value.status == update.status

    def _evaluate_error(
        self, update: SUpdate | None, model: SModel | None, caller: str, score: int
    ) -> str | None:
        if update is None or model is None:
            return "UnknownUpdate"
        if update.status != PENDING:
            return "AlreadyEvaluated"
        return self._judge_error(model, caller, score)

    def _judge_error(self, model: SModel, caller: str, score: int) -> str | None:
        if caller != model.lender:
            return "NotLender"
        if model.status == RECLAIMED:
            return "ModelNotOpen"
        if self.now() >= model.review_ends:
            return "ReviewWindowClosed"
        return "ScoreOutOfRange" if score > 10_000 else None

    def _apply_evaluation(self, update: SUpdate, model: SModel, score: int) -> int:
        improved = score > model.best
        payout = self._raise(model, score) if improved else 0
        update.status = ACCEPTED if improved else REJECTED
        self.s.owed[update.submitter] += payout
        model.pending -= 1
        return payout

    def _raise(self, model: SModel, score: int) -> int:
        """The payout of raising the best score to `score`, applied to the model."""
        payout = min(
            model.bounty * (score - model.best) // (model.target - model.initial), model.remaining
        )
        model.remaining -= payout
        model.paid += payout
        model.best = score
        if score >= model.target:
            model.status = COMPLETED
        return payout

    def round(self) -> None:
        """evaluateRound over a few pending updates of one model, with random shares."""
        rng = self.rng
        pending = self.judgeable()
        if not pending:
            return
        model_id = self.s.updates[rng.choice(pending)].model_id
        model = self.s.models[model_id]
        mine = [i for i in pending if self.s.updates[i].model_id == model_id]
        ids = rng.sample(mine, rng.randint(1, min(6, len(mine))))
        caller = self.who(model.lender, p=0.9)
        score = max(0, min(10_000, model.best + rng.randint(-400, 1_500)))
        improved = score > model.best
        shares = _random_shares(rng, len(ids)) if improved else [0] * len(ids)
        if rng.random() < 0.08:  # a wrong split
            shares[0] += 1
        self.clear_of(model.review_ends)
        total = sum(shares)
        error = self._judge_error(model, caller, score) or (
            "BadShares" if total != (10_000 if improved else 0) else None
        )
        client = self.clients[caller]
        call = lambda: client.evaluate_round(  # noqa: E731
            model_id, ids, shares, score=score, new_weights=Digest(os.urandom(32))
        )
        sent = self.expect("round", error, call)
        if sent is None:
            return
        payout = self._raise(model, score) if improved else 0
        paid = [i for i, share in enumerate(shares) if share]
        rewards = [payout * share // 10_000 for share in shares]
        if paid:  # the last paid update takes the rounding remainder
            last = paid[-1]
            rewards[last] = payout - sum(r for k, r in enumerate(rewards) if k != last)
        for update_id, share, reward in zip(ids, shares, rewards, strict=True):
            update = self.s.updates[update_id]
            update.status = ACCEPTED if share else REJECTED
            self.s.owed[update.submitter] += reward
        model.pending -= len(ids)
        got = [u.reward_wei for u in sent.value.updates]
        assert got == rewards
        assert sum(got) == payout == sent.value.payout_wei
        self.tally["round accepted"] += len(paid)
        self.tally["round rejected"] += len(ids) - len(paid)

    def claim(self) -> None:
        now = self.now()
        claimable = [
            i
            for i, u in self.s.updates.items()
            if u.status == PENDING and now > self.s.models[u.model_id].review_ends
        ]
        update_id = self.pick_id(len(self.s.updates), claimable)
        update = self.s.updates.get(update_id)
        model = self.s.models[update.model_id] if update else None
        if model:
            now = self.clear_of(model.review_ends)
        error = (
            "UnknownUpdate"
            if update is None or model is None
            else "AlreadyEvaluated"
            if update.status != PENDING
            else "ReviewWindowOpen"
            if now < model.review_ends
            else None
        )
        caller = self.who(update.submitter if update else None, p=0.6)
        sent = self.expect("claim", error, lambda: self.clients[caller].claim_unreviewed(update_id))
        if sent is None:
            return
        assert update is not None
        assert model is not None
        model.close()
        assert sent.value == model.share
        update.status = EXPIRED
        model.remaining -= model.share
        model.paid += model.share
        model.pending -= 1
        self.s.owed[update.submitter] += model.share

    def reclaim(self) -> None:
        now = self.now()
        due = [
            i
            for i, m in self.s.models.items()
            if m.status != RECLAIMED
            and (m.status == COMPLETED or m.deadline < now)
            and (m.pending == 0 or m.review_ends < now)
        ]
        model_id = self.pick_id(len(self.s.models), due)
        model = self.s.models.get(model_id)
        caller = self.who(model.lender if model else None)
        now = self.clear_of(model.deadline, model.review_ends) if model else self.now()
        error = (
            "UnknownModel"
            if model is None
            else "NotLender"
            if caller != model.lender
            else "AlreadyReclaimed"
            if model.status == RECLAIMED
            else "DeadlineNotReached"
            if model.status == OPEN and now < model.deadline
            else "UpdatesPending"
            if model.pending and now < model.review_ends
            else None
        )
        sent = self.expect("reclaim", error, lambda: self.clients[caller].reclaim(model_id))
        if sent is not None and model is not None:
            reserved = 0
            if model.pending:
                model.close()
                reserved = model.share * model.pending
            amount = model.remaining - reserved
            assert sent.value == amount
            self.s.owed[caller] += amount
            model.remaining, model.status = reserved, RECLAIMED

    def withdraw(self) -> None:
        creditors = [a for a in self.addresses if self.s.owed[a]]
        account = (
            self.rng.choice(creditors) if creditors and self.rng.random() < 0.7 else self.who()
        )
        owed = self.s.owed[account]
        client = self.clients[account]
        balance = client.balance_of(account)
        sent = self.expect("withdraw", None if owed else "NothingOwed", client.withdraw)
        if sent is not None:
            assert sent.value == owed
            fee = sent.fee_wei
            assert client.balance_of(account) == balance + owed - fee
            self.s.owed[account] = 0

    def step(self) -> None:
        op = self.rng.choices(
            [
                self.create,
                self.submit,
                self.evaluate,
                self.round,
                self.claim,
                self.reclaim,
                self.withdraw,
                None,
            ],
            weights=[10, 30, 16, 14, 8, 8, 8, 6],
        )[0]
        if op is None:
            long = self.rng.random() < 0.2  # past whole review windows
            self.advance(self.rng.randint(3000, 5000) if long else self.rng.randint(10, 400))
            self.tally["advance"] += 1
        else:
            op()

    # --- the invariant -------------------------------------------------------------------------
    def check(self) -> None:
        balance, owed, models = read_books(self.repo, self.addresses, list(self.s.models))
        remaining = [m[2] for m in models]
        assert balance == sum(owed) + sum(remaining)
        assert owed == [self.s.owed[a] for a in self.addresses]
        for (model_id, shadow), words in zip(self.s.models.items(), models, strict=True):
            bounty, left, status, pending = words[1], words[2], words[7], words[9]
            assert (left, status) == (shadow.remaining, shadow.status), model_id
            assert pending == shadow.pending, model_id
            if status != RECLAIMED:
                assert bounty - left == shadow.paid <= bounty


def _random_shares(rng: random.Random, n: int) -> list[int]:
    """n shares in bps, some 0, the rest summing to exactly 10000."""
    paid = [i for i in range(n) if rng.random() < 0.7] or [rng.randrange(n)]
    cuts = sorted(rng.randint(1, 9_999) for _ in range(len(paid) - 1))
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, 10_000], strict=True)]
    shares = [0] * n
    for i, size in zip(paid, sizes, strict=True):
        shares[i] = size
    return shares if all(shares[i] for i in paid) else _random_shares(rng, n)


@pytest.fixture(scope="module")
def fresh_repo(w3: Web3, dev_accounts: list[LocalAccount]) -> ModelRepositoryClient:
    """A ModelRepository of its own, so the shadow accounts for every wei in it."""
    return ModelRepositoryClient.deploy(w3, dev_accounts[0])


@pytest.mark.slow
def test_random_walk_keeps_the_books_exact(
    fresh_repo: ModelRepositoryClient, dev_accounts: list[LocalAccount]
) -> None:
    walk = Walk(fresh_repo, dev_accounts[1:6], SEED)
    for _ in range(STEPS):
        walk.step()
        walk.check()
    # the walk must have exercised the paths it claims to check
    for name, least in [
        ("create", 15),
        ("submit", 50),
        ("evaluate", 12),
        ("round", 15),
        ("claim", 3),
        ("withdraw", 10),
    ]:
        assert walk.tally[name] >= least, walk.tally
    assert walk.tally["reclaim"] >= 3, walk.tally
    assert walk.tally["accepted"] >= 5, walk.tally
    assert walk.tally["rejected"] + walk.tally["round rejected"] >= 6, walk.tally
    assert walk.tally["round accepted"] >= 10, walk.tally
    assert walk.tally["completed"] >= 2, walk.tally
    assert sum(v for k, v in walk.tally.items() if ":" in k) >= 40, walk.tally
    for account in walk.addresses:  # everyone cashes out: only unspent bounties stay escrowed
        if walk.s.owed[account]:
            walk.clients[account].withdraw()
            walk.s.owed[account] = 0
    walk.check()
    escrowed = sum(m.remaining for m in walk.s.models.values())
    assert fresh_repo.balance_of(fresh_repo.address) == escrowed
