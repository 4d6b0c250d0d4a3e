"""ε charged for an update that provably never left (submitUpdate never broadcast) is refunded."""

from __future__ import annotations

import pytest
from web3 import Web3

from fedlend.chain.anvil import advance_time
from fedlend.errors import ContractError
from tests.market import LoanCsvs, Market, PostBounty

HOUR = 3_600


@pytest.mark.parametrize("key", ["job:refund-1", None])
def test_a_submission_refused_before_broadcast_refunds_only_a_keyed_charge(
    market: Market, posted: PostBounty, loan_csvs: LoanCsvs, w3: Web3, key: str | None
) -> None:
    model = posted(target=0.80, bounty_wei=10**17, duration=HOUR, base="zero")
    owner = market.owner(4)
    sha = owner.add_dataset(loan_csvs["owner2"], name="owner2").sha256
    before = owner.privacy(sha)[0]
    txs = w3.eth.get_transaction_count(Web3.to_checksum_address(owner.node.address))
    deadline = owner.node.client.get_model(model.model_id).deadline

    def late(fraction: float, _message: str) -> None:  # the deadline passes while it seals
        if fraction >= 0.95 and w3.eth.get_block("latest")["timestamp"] <= deadline:
            advance_time(w3, 2 * HOUR)

    with pytest.raises(ContractError) as refused:
        owner.contribute(model.model_id, sha, epsilon=1.0, seed=3, progress=late, charge_key=key)
    assert (
        w3.eth.get_transaction_count(Web3.to_checksum_address(owner.node.address)) == txs
    )  # nothing was broadcast
    after = owner.privacy(sha)[0]
    if key is None:  # no job id: the charge cannot be told apart, so it stays
        assert after.charges == before.charges + 1
        assert "refunded" not in str(refused.value)
    else:
        assert after.charges == before.charges
        assert after.epsilon == pytest.approx(before.epsilon)
        assert "was never sent, so its ε" in str(refused.value)
        assert "refunded" in str(refused.value)
        assert owner.ledger.verify(owner.node.address, sha).epsilon == pytest.approx(after.epsilon)
