"""The whole loop with the chain crashed or restarted from its state file and the services
re-created at seeded random points: nothing is lost or doubled, in wei or in ε."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

from fedlend.chain.events import ModelCreated, UpdateEvaluated, UpdateSubmitted, Withdrawn
from fedlend.web.jobs import Job, JobState
from tests.e2e.fault_world import BOUNTY_WEI, OWNERS, Chain, World, deploy

SEEDS = (11, 23, 5)
FAULTS = ("none", "none", "crash", "restart", "recreate")
STEPS = ("post", "contribute-1", "contribute-2", "evaluate", "withdraw-1", "withdraw-2")
MAX_STEPS = 30
TOTALS: dict[str, int] = {"cases": 0, "faults": 0, "lost and redone": 0}


@pytest.fixture
def world(tmp_path: Path, loan_csvs: dict[str, bytes]) -> Iterator[World]:
    chain = Chain(tmp_path)
    contract = deploy(chain.anvil.rpc_url)
    chain.restart()  # the state file now holds the deployed contract
    made = World(chain, tmp_path, contract, loan_csvs)
    yield made
    for runner in made.runners.values():
        runner.shutdown()
    chain.anvil.stop()


def _kind(step: str) -> str:
    """The job kind the apps give this step (each owner has its own runner)."""
    return "contribute" if step.startswith("contribute") else step


def _latest(world: World, dev: int, step: str) -> Job | None:
    jobs = world.runners[dev].recent(kind=_kind(step), limit=1)
    return jobs[0] if jobs else None


def _next_step(world: World) -> str | None:
    """The first step whose latest job is not done (never run, or lost to a crash)."""
    for step in STEPS:
        dev = int(step.rsplit("-", 1)[1]) if "-" in step else 0
        job = _latest(world, dev, step)
        if job is None or job.state != JobState.DONE:
            return step
    return None


def _run(world: World, step: str) -> None:
    post = _latest(world, 0, "post")
    model_id = post.result["model_id"] if post else 0
    if step == "post":
        world.run(0, step, world.post)
    elif step.startswith("contribute-"):
        dev = int(step[-1])
        world.run(dev, _kind(step), lambda: world.contribute(dev, model_id))
    elif step == "evaluate":
        world.run(0, step, lambda: world.evaluate(model_id))
    else:
        dev = int(step[-1])
        world.run(dev, step, lambda: world.withdraw(dev))


def _fault(world: World, rng: random.Random) -> str:
    fault = rng.choice(FAULTS)
    if fault == "crash":
        world.chain.crash()
    elif fault == "restart":
        world.chain.restart()
    if fault != "none":
        world.recreate()
        world.recheck()  # the apps start again and re-check their jobs
    return fault


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_the_whole_loop_loses_and_doubles_nothing_across_crashes(world: World, seed: int) -> None:
    rng = random.Random(seed)
    faults = []
    for _ in range(MAX_STEPS):
        step = _next_step(world)
        if step is None:
            break
        _run(world, step)
        faults.append(_fault(world, rng))
    assert _next_step(world) is None, f"the loop did not finish in {MAX_STEPS} steps: {faults}"
    lost = _check_wei(world) + _check_epsilon(world)
    TOTALS["cases"] += 1
    TOTALS["faults"] += sum(f != "none" for f in faults)
    TOTALS["lost and redone"] += lost
    print(f"seed {seed}: faults {faults}; jobs that said they were lost: {lost}; {TOTALS}")
    assert "crash" in faults or "restart" in faults  # the seeds do exercise the chain faults


def _check_wei(world: World) -> int:
    """Escrowed once; contract balance == owed + unspent; every account's balance adds up."""
    client = world.lender.node.client
    w3: Web3 = client.w3
    events = client.events()
    created = [e for e in events if isinstance(e, ModelCreated)]
    assert len(created) == 1  # the bounty escrowed exactly once
    [model] = client.models()
    accounts = [world.lender.node.address] + [world.owners[d].node.address for d in OWNERS]
    owed = sum(client.owed(a) for a in accounts)
    assert client.balance_of(client.address) == owed + model.remaining_wei
    rewards = {a: 0 for a in accounts}
    for e in events:
        if isinstance(e, UpdateEvaluated):
            rewards[e.submitter] = rewards.get(e.submitter, 0) + e.reward_wei
    withdrawn = {a: 0 for a in accounts}
    for e in events:
        if isinstance(e, Withdrawn):
            withdrawn[e.account] = withdrawn.get(e.account, 0) + e.amount_wei
    for dev in OWNERS:
        address = world.owners[dev].node.address
        assert withdrawn[address] + client.owed(address) == rewards[address]  # paid once
        assert client.owed(address) == 0  # the loop withdrew everything
    assert model.bounty_wei - model.remaining_wei == sum(rewards.values())
    spent = _spent_by_sender(w3)
    genesis = 10_000 * 10**18
    for address in accounts:
        expected = genesis - spent.get(address, 0) + withdrawn.get(address, 0)
        assert w3.eth.get_balance(Web3.to_checksum_address(address)) == expected, address
    assert spent[world.lender.node.address] > BOUNTY_WEI  # the escrow and its gas, once
    return 0


def _spent_by_sender(w3: Web3) -> dict[str, int]:
    """Value sent plus fees, per sender, over every block of the chain as it stands."""
    spent: dict[str, int] = {}
    for number in range(w3.eth.block_number + 1):
        block = w3.eth.get_block(number, full_transactions=True)
        for tx in block["transactions"]:
            if isinstance(tx, bytes):
                raise AssertionError("full transactions were asked for")
            receipt = w3.eth.get_transaction_receipt(tx["hash"])
            cost = int(tx["value"]) + int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])
            spent[tx["from"]] = spent.get(tx["from"], 0) + cost
    return spent


def _check_epsilon(world: World) -> int:
    """Each ledger charge is one submission on the chain or one job that says it was lost."""
    client = world.lender.node.client
    on_chain = {e.update_id: e for e in client.events() if isinstance(e, UpdateSubmitted)}
    lost_total = 0
    for dev in OWNERS:
        owner = world.owners[dev]
        jobs = world.runners[dev].recent(kind="contribute", limit=100)
        lost = [j for j in jobs if j.state == JobState.FAILED and "lost:" in (j.error or "")]
        done = [j for j in jobs if j.state == JobState.DONE]
        assert len(done) == 1
        mine = [u for u in on_chain.values() if u.submitter == owner.node.address]
        assert [u.update_id for u in mine] == [done[0].result["update_id"]]
        [(_, sha)] = [d for d in owner.ledger.datasets() if d[0] == owner.node.address]
        charges = owner.ledger.history(owner.node.address, sha)
        assert len(charges) == len(mine) + len(lost)  # none forgotten, none doubled
        expected = sum(j.result["epsilon"] for j in [*done, *lost])
        assert sum(c.epsilon for c in charges) == pytest.approx(expected)
        for job in lost:
            assert job.error is not None
            assert f"ε {job.result['epsilon']:.3g} charged for it stays charged" in job.error
        lost_total += len(lost)
    return lost_total + sum(
        1
        for dev in (0, *OWNERS)
        for j in world.runners[dev].recent(limit=100)
        if j.state == JobState.FAILED and "lost:" in (j.error or "") and "contribute" not in j.kind
    )
