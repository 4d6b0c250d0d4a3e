"""ε charged for an update that provably never left (submitUpdate never broadcast) is refunded,
in key mode and in wallet mode; a broadcast one keeps its charge."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from web3 import Web3

from fedlend.chain.accounts import dev_account
from fedlend.chain.anvil import advance_time
from fedlend.errors import ChainError, ContractError
from fedlend.services.contribution import ContributeJob
from fedlend.services.node import open_node
from fedlend.services.owner import OwnerService
from fedlend.wallet.account import WalletAccount
from fedlend.wallet.bridge import WalletBridge
from fl.train import TrainConfig
from tests.market import LoanCsvs, Market, PostBounty
from tests.wallet_helpers import InjectedWallet

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
        owner.contribute(
            model.model_id,
            sha,
            TrainConfig(1.0, seed=3),
            ContributeJob(progress=late, charge_key=key),
        )
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


WALLET_METHODS = {
    "send_transaction": "eth_sendTransaction",
    "sign_typed_data": "eth_signTypedData_v4",
    "personal_sign": "personal_sign",
}


@dataclass
class AnsweringWallet:
    """A browser wallet without the browser: answers a job's bridge requests through Anvil."""

    rpc_url: str
    address: str
    job: str
    bridge: WalletBridge = field(default_factory=WalletBridge)
    before_send: Callable[[], None] = lambda: None
    asked: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def account(self) -> WalletAccount:
        return WalletAccount(
            self.address, bridge=self.bridge, job=lambda: (self.job, lambda: False)
        )

    def run(self) -> None:
        forward = InjectedWallet(self.rpc_url).forward
        while not self.stop.wait(0.01):
            request = self.bridge.pending(self.job, self.address)
            if request is None:
                continue
            self.asked.append(request.kind)
            if request.kind == "send_transaction":
                self.before_send()
            reply = forward(WALLET_METHODS[request.kind], request.params)
            error = reply.get("error")
            answer = (error["code"], error["message"]) if error else None
            self.bridge.answer(request.id, self.address, result=reply.get("result"), error=answer)


def _wallet_owner(market: Market, wallet: AnsweringWallet) -> OwnerService:
    settings = market.settings(5).with_(dev_account=None)
    return OwnerService(open_node(settings, account=wallet.account()))


@pytest.mark.parametrize("when", ["at-estimate", "mined"])
def test_in_wallet_mode_only_a_refusal_before_broadcast_refunds(
    market: Market, posted: PostBounty, loan_csvs: LoanCsvs, w3: Web3, when: str
) -> None:
    model = posted(target=0.80, bounty_wei=10**17, duration=HOUR, base="zero")
    address = dev_account(5).address
    deadline = market.owner(5).node.client.get_model(model.model_id).deadline

    def past_deadline() -> None:
        if w3.eth.get_block("latest")["timestamp"] <= deadline:
            advance_time(w3, 2 * HOUR)

    wallet = AnsweringWallet(market.rpc_url, address, job=f"job:wallet-refund-{when}")
    if when == "mined":  # the estimate passed; the wallet's transaction is mined too late
        wallet.before_send = past_deadline
    owner = _wallet_owner(market, wallet)
    sha = owner.add_dataset(loan_csvs["owner1"], name="owner1").sha256
    before = owner.privacy(sha)[0]
    nonce = w3.eth.get_transaction_count(address)

    def late(fraction: float, _message: str) -> None:  # the deadline passes while it seals
        if when == "at-estimate" and fraction >= 0.95:
            past_deadline()

    thread = threading.Thread(target=wallet.run, daemon=True)
    thread.start()
    try:
        with pytest.raises(ChainError) as refused:
            owner.contribute(
                model.model_id,
                sha,
                TrainConfig(1.0, seed=3),
                ContributeJob(progress=late, charge_key=wallet.job),
            )
    finally:
        wallet.stop.set()
        thread.join()
    after = owner.privacy(sha)[0]
    assert "sign_typed_data" in wallet.asked  # the sealed update was signed by the wallet
    if when == "at-estimate":  # refused before the wallet was asked to send: provably never sent
        assert "send_transaction" not in wallet.asked
        assert w3.eth.get_transaction_count(address) == nonce
        assert isinstance(refused.value, ContractError)
        assert refused.value.sent_tx is None
        assert after.charges == before.charges
        assert after.epsilon == pytest.approx(before.epsilon)
        assert "was never sent, so its ε" in str(refused.value)
    else:  # broadcast and mined (then reverted): the ε stays charged, and nothing says refunded
        assert w3.eth.get_transaction_count(address) == nonce + 1
        assert after.charges == before.charges + 1
        assert "refunded" not in str(refused.value)
        if isinstance(refused.value, ContractError):
            assert refused.value.sent_tx is not None
