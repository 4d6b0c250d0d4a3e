"""The lender's evaluation pass on a real Anvil and real loans: one round, Shapley shares."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.types import RPCEndpoint

from fedlend.chain.events import EventReader, RoundEvaluated
from fedlend.sealing import Submission, open_update, seal_update
from fedlend.services.evaluation import evaluate_pending
from fedlend.services.lender import LenderService, PostedModel
from fedlend.services.owner import Contribution
from fedlend.services.record_rows import EvaluationRow, RoundRow
from fedlend.types import UpdateStatus
from fl.train import TrainConfig
from tests.market import Market

OWNERS = ((1, "owner1", 11), (2, "owner2", 12), (3, "owner1", 13))


def _contribute(
    market: Market,
    loan_csvs: dict[str, bytes],
    model_id: int,
    owners: tuple[tuple[int, str, int], ...] = OWNERS,
) -> list[Contribution]:
    made = []
    for dev, part, seed in owners:
        owner = market.owner(dev)
        sha = owner.add_dataset(loan_csvs[part], name=part).sha256
        made.append(owner.contribute(model_id, sha, TrainConfig(3.0, seed=seed)))
    return made


def test_one_round_pays_shapley_shares_that_add_up_to_the_payout(
    market: Market, posted: Callable[..., PostedModel], loan_csvs: dict[str, bytes]
) -> None:
    model = posted(target=0.80, bounty_wei=3 * 10**18, base="zero")
    made = _contribute(market, loan_csvs, model.model_id)
    owners = [market.owner(dev) for dev, _, _ in OWNERS]
    owed = [o.owed() for o in owners]
    lender = market.lender()
    verdicts = evaluate_pending(lender, model.model_id)
    assert [v.update_id for v in verdicts] == [c.update_id for c in made]
    assert len({v.tx_hash for v in verdicts}) == 1  # ONE evaluateRound
    [summary] = lender.node.client.events(names=["RoundEvaluated"], model_id=model.model_id)
    assert isinstance(summary, RoundEvaluated)
    assert summary.updates == 3
    assert summary.score > model.initial_score  # from a zero base, averaging real updates helps
    assert sum(v.reward_wei for v in verdicts) == summary.payout_wei > 0
    expected = 3 * 10**18 * (summary.score - model.initial_score) // (8000 - model.initial_score)
    assert summary.payout_wei == expected
    assert sum(v.share_bps for v in verdicts) == 10_000
    for v in verdicts:
        assert v.shapley_value is not None
        assert (v.share_bps > 0) == (v.shapley_value > 0) == v.accepted
    gained = [o.owed() - b for o, b in zip(owners, owed, strict=True)]
    assert gained == [v.reward_wei for v in verdicts]
    rows = {r.update_id: r for r in lender.records.rows(EvaluationRow, model_id=model.model_id)}
    for v in verdicts:
        assert rows[v.update_id].share_bps == v.share_bps
        assert rows[v.update_id].contribution == pytest.approx(v.shapley_value)
        assert rows[v.update_id].reward_wei == v.reward_wei
    [round_row] = lender.records.rows(RoundRow, model_id=model.model_id)
    assert (round_row.method, round_row.payout_wei) == ("exact", summary.payout_wei)


def test_a_bad_update_is_rejected_with_its_reason_and_the_others_are_judged(
    market: Market, posted: Callable[..., PostedModel], loan_csvs: dict[str, bytes]
) -> None:
    model = posted(target=0.80, bounty_wei=10**18, base="zero")
    junk_node = market.node(4)
    junk = junk_node.client.submit_update(model.model_id, junk_node.put(b"not a sealed update"))
    good = _contribute(market, loan_csvs, model.model_id, OWNERS[:2])
    verdicts = {v.update_id: v for v in evaluate_pending(market.lender(), model.model_id)}
    assert not verdicts[junk.value].accepted
    assert verdicts[junk.value].share_bps == 0
    assert "not a fedlend sealed update" in verdicts[junk.value].reason
    assert any(verdicts[c.update_id].accepted for c in good)
    assert all(verdicts[c.update_id].shapley_value is not None for c in good)


def test_a_copied_digest_neither_blocks_nor_earns(
    market: Market, posted: Callable[..., PostedModel], loan_csvs: dict[str, bytes]
) -> None:
    model = posted(target=0.80, bounty_wei=10**18, base="zero")
    [honest] = _contribute(market, loan_csvs, model.model_id, OWNERS[:1])
    copier = market.node(5)
    copy = copier.client.submit_update(model.model_id, honest.digest)  # the same digest again
    verdicts = {v.update_id: v for v in evaluate_pending(market.lender(), model.model_id)}
    assert "copied blob" in verdicts[copy.value].reason
    assert verdicts[copy.value].reward_wei == 0 == copier.client.owed(copier.address)
    assert verdicts[honest.update_id].accepted
    assert verdicts[honest.update_id].reward_wei > 0


def test_an_evaluation_rolled_back_by_the_chain_is_judged_again(
    market: Market, posted: Callable[..., PostedModel], loan_csvs: dict[str, bytes], w3: Web3
) -> None:
    model = posted(target=0.80, bounty_wei=10**18, base="zero")
    [made] = _contribute(market, loan_csvs, model.model_id, OWNERS[:1])
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    lender = market.lender()
    [first] = evaluate_pending(lender, model.model_id)
    assert first.accepted
    assert w3.provider.make_request("evm_revert", [snapshot])["result"] is True  # type: ignore[arg-type]
    assert lender.node.client.update_status(made.update_id) == UpdateStatus.PENDING
    [again] = evaluate_pending(lender, model.model_id)  # not "a replayed submission"
    assert again.accepted
    assert again.reward_wei == first.reward_wei
    assert market.owner(1).owed() >= again.reward_wei


def test_an_update_judged_in_storage_but_missing_its_event_is_not_pending(
    market: Market, posted: Callable[..., PostedModel], loan_csvs: dict[str, bytes], w3: Web3
) -> None:
    model = posted(target=0.80, bounty_wei=10**18, base="zero")
    lost, kept = _contribute(market, loan_csvs, model.model_id, OWNERS[:2])
    lender = market.lender()
    _set_status(w3, lender.node.client.address, lost.update_id, UpdateStatus.REJECTED)
    verdicts = evaluate_pending(lender, model.model_id)  # today's main reverts on `lost` forever
    assert [v.update_id for v in verdicts] == [kept.update_id]
    assert evaluate_pending(lender, model.model_id) == []


def test_a_pass_reads_the_logs_a_fixed_number_of_times(
    market: Market,
    posted: Callable[..., PostedModel],
    loan_csvs: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = posted(target=0.80, bounty_wei=10**18, base="zero")
    _contribute(market, loan_csvs, model.model_id)
    calls: list[int] = []
    real = EventReader._get_logs

    def counted(self: EventReader, low: int, high: int, topics: list[object]) -> list[object]:
        calls.append(low)
        return real(self, low, high, topics)

    monkeypatch.setattr(EventReader, "_get_logs", counted)
    verdicts = evaluate_pending(market.lender(), model.model_id)
    assert len(verdicts) == 3
    assert len(calls) <= 4, (
        calls
    )  # the model's bounty, one scan, the round's digests: not per update


def _set_status(w3: Web3, contract: str, update_id: int, status: UpdateStatus) -> None:
    """Write an update's status straight into storage (no event): a lost-event fault."""
    slot = int.from_bytes(Web3.solidity_keccak(["uint256", "uint256"], [update_id, 2]), "big")
    word = int(w3.eth.get_storage_at(Web3.to_checksum_address(contract), slot).hex() or "0", 16)
    word = (word & ~(0xFF << (29 * 8))) | (int(status) << (29 * 8))
    value = "0x" + word.to_bytes(32, "big").hex()
    w3.provider.make_request(RPCEndpoint("anvil_setStorageAt"), [contract, hex(slot), value])


def _replay(market: Market, lender: LenderService, made: Contribution) -> int:
    """The owner re-seals its own judged update (same signed header and nonce) as a new blob."""
    owner_node = market.node(1)
    opened = open_update(
        lender.node.get(made.digest),
        lender_private_key=lender.keypair.private,
        expected=Submission(
            owner_node.address, made.model_id, lender.node.chain_id, lender.node.client.address
        ),
    )
    blob = seal_update(
        payload=opened.payload,
        header=opened.header,
        owner=_local(owner_node.account),
        lender_public_key=lender.keypair.public,
    )
    return owner_node.client.submit_update(made.model_id, owner_node.put(blob)).value


@pytest.mark.parametrize("lost", ["records deleted", "records kept"])
def test_a_replay_is_refused_even_after_the_lenders_records_were_deleted(
    market: Market, posted: Callable[..., PostedModel], loan_csvs: dict[str, bytes], lost: str
) -> None:
    model = posted(target=0.80, bounty_wei=10**18, base="zero")
    [made] = _contribute(market, loan_csvs, model.model_id, OWNERS[:1])
    lender = market.lender()
    [first] = evaluate_pending(lender, model.model_id)
    assert first.accepted
    if lost == "records deleted":  # while the app runs: the same service object goes on
        for suffix in ("", "-wal", "-shm"):
            Path(f"{lender.records.path}{suffix}").unlink(missing_ok=True)
    owed = market.owner(1).owed()
    replay_id = _replay(market, lender, made)
    [verdict] = evaluate_pending(lender, model.model_id)
    assert verdict.update_id == replay_id
    assert not verdict.accepted
    assert "replay" in verdict.reason
    assert verdict.reward_wei == 0
    assert market.owner(1).owed() == owed  # in wei: the replay earned nothing
    assert made.update_id in lender.records.nonce_ids(model.model_id)  # remembered again


def _local(account: object) -> LocalAccount:
    """The dev key behind a key-mode node (these tests never run in wallet mode)."""
    assert isinstance(account, LocalAccount)
    return account
