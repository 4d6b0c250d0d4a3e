"""A seeded random walk of 400 calls against a fresh ModelRepository, checked after every step.

A Python shadow predicts each call's outcome (value or custom error name) in exact wei. After every
step the chain must show: contract balance == sum(owed) + sum(unspent bounties); each model paid out
exactly bounty - remaining <= bounty; and the shadow's owed/remaining figures, wei for wei.
Set FEDLEND_WALK_SEED to explore other walks.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from fedlend.chain.anvil import advance_time
from fedlend.chain.client import ModelRepositoryClient
from fedlend.errors import ContractError
from fedlend.types import Digest
from tests.contracts.helpers import read_books

STEPS = 400
SEED = int(os.environ.get("FEDLEND_WALK_SEED", "1729"))
MARGIN = 3  # seconds: never act this close to a deadline (block time may tick meanwhile)
OPEN, COMPLETED, RECLAIMED = 0, 1, 2
PENDING, ACCEPTED, REJECTED = 0, 1, 2


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

    def clear_of(self, deadline: int) -> int:
        """The chain time, first moved past `deadline` if it is within MARGIN of it."""
        now = self.now()
        if abs(now - deadline) <= MARGIN:
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

    def expect(self, name: str, predicted: str | None, call: Callable[[], object]) -> object:
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
        error = (
            "ZeroBounty"
            if bounty == 0
            else "BadScoreRange"
            if not initial < target <= 10_000
            else "DeadlineInPast"
            if deadline <= now + MARGIN
            else None
        )
        digest = Digest(os.urandom(32))
        sent = self.expect(
            "create",
            error,
            lambda: self.clients[lender].create_model(
                weights=digest,
                spec=Digest(os.urandom(32)),
                initial_score=initial,
                target_score=target,
                deadline=deadline,
                bounty_wei=bounty,
            ),
        )
        if sent is not None:
            model = SModel(lender, bounty, initial, target, deadline, bounty, initial)
            self.s.models[sent.value] = model  # type: ignore[attr-defined]
            assert sent.value == len(self.s.models)  # type: ignore[attr-defined]

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
            else "DuplicateDigest"
            if replay
            else None
        )
        sender = self.who()
        sent = self.expect(
            "submit", error, lambda: self.clients[sender].submit_update(model_id, digest)
        )
        if sent is not None:
            self.s.seen.append(digest)
            self.s.updates[sent.value] = SUpdate(model_id, sender)  # type: ignore[attr-defined]
            assert sent.value == len(self.s.updates)  # type: ignore[attr-defined]

    def evaluate(self) -> None:
        pending = [
            i
            for i, u in self.s.updates.items()
            if u.status == PENDING and self.s.models[u.model_id].status == OPEN
        ]
        update_id = self.pick_id(len(self.s.updates), pending)
        update = self.s.updates.get(update_id)
        model = self.s.models[update.model_id] if update else None
        caller = self.who(model.lender if model else None)
        score = 10_001 if self.rng.random() < 0.03 else self.rng.randint(0, 10_000)
        if model and self.rng.random() < 0.6:  # mostly near the current best: small steps
            score = max(0, min(10_000, model.best + self.rng.randint(-300, 1_200)))
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
        assert sent.value.reward_wei == reward  # type: ignore[attr-defined]
        assert sent.value.status == update.status  # type: ignore[attr-defined]

    def _evaluate_error(
        self, update: SUpdate | None, model: SModel | None, caller: str, score: int
    ) -> str | None:
        if update is None or model is None:
            return "UnknownUpdate"
        if caller != model.lender:
            return "NotLender"
        if update.status != PENDING:
            return "AlreadyEvaluated"
        if model.status != OPEN:
            return "ModelNotOpen"
        return "ScoreOutOfRange" if score > 10_000 else None

    def _apply_evaluation(self, update: SUpdate, model: SModel, score: int) -> int:
        if score <= model.best:
            update.status = REJECTED
            return 0
        reward = min(
            model.bounty * (score - model.best) // (model.target - model.initial), model.remaining
        )
        update.status = ACCEPTED
        model.remaining -= reward
        model.paid += reward
        model.best = score
        if score >= model.target:
            model.status = COMPLETED
        self.s.owed[update.submitter] += reward
        return reward

    def reclaim(self) -> None:
        now = self.now()
        due = [
            i
            for i, m in self.s.models.items()
            if m.status == COMPLETED or (m.status == OPEN and m.deadline < now)
        ]
        model_id = self.pick_id(len(self.s.models), due)
        model = self.s.models.get(model_id)
        caller = self.who(model.lender if model else None)
        now = self.clear_of(model.deadline) if model and model.status == OPEN else self.now()
        error = (
            "UnknownModel"
            if model is None
            else "NotLender"
            if caller != model.lender
            else "AlreadyReclaimed"
            if model.status == RECLAIMED
            else "DeadlineNotReached"
            if model.status == OPEN and now < model.deadline
            else None
        )
        sent = self.expect("reclaim", error, lambda: self.clients[caller].reclaim(model_id))
        if sent is not None and model is not None:
            assert sent.value == model.remaining  # type: ignore[attr-defined]
            self.s.owed[caller] += model.remaining
            model.remaining, model.status = 0, RECLAIMED

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
            assert sent.value == owed  # type: ignore[attr-defined]
            fee = sent.fee_wei  # type: ignore[attr-defined]
            assert client.balance_of(account) == balance + owed - fee
            self.s.owed[account] = 0

    def step(self) -> None:
        op = self.rng.choices(
            [self.create, self.submit, self.evaluate, self.reclaim, self.withdraw, None],
            weights=[10, 33, 32, 8, 10, 7],
        )[0]
        if op is None:
            self.advance(self.rng.randint(10, 400))
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
            bounty, left, status = words[1], words[2], words[7]
            assert (left, status) == (shadow.remaining, shadow.status), model_id
            if status != RECLAIMED:
                assert bounty - left == shadow.paid <= bounty


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
    for name, least in [("create", 15), ("submit", 50), ("evaluate", 40), ("withdraw", 10)]:
        assert walk.tally[name] >= least, walk.tally
    assert walk.tally["reclaim"] >= 3, walk.tally
    assert min(walk.tally["accepted"], walk.tally["rejected"]) >= 10, walk.tally
    assert walk.tally["completed"] >= 2, walk.tally
    assert sum(v for k, v in walk.tally.items() if ":" in k) >= 40, walk.tally
    for account in walk.addresses:  # everyone cashes out: only unspent bounties stay escrowed
        if walk.s.owed[account]:
            walk.clients[account].withdraw()
            walk.s.owed[account] = 0
    walk.check()
    escrowed = sum(m.remaining for m in walk.s.models.values())
    assert fresh_repo.balance_of(fresh_repo.address) == escrowed
