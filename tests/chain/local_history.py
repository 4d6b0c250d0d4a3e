"""Build a real local history on Anvil: a fresh account, ETH in and out, a small ERC-20 moving."""

from __future__ import annotations

from dataclasses import dataclass

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_account.types import TransactionDictType
from web3 import Web3
from web3.contract import Contract

from fedlend.chain.rpc import send_call, wait_receipt
from tests.contracts.helpers import deploy_helper

TOKEN_DECIMALS = 6


@dataclass(frozen=True)
class LocalHistory:
    """What was sent, so tests can check the computed features against it."""

    account: LocalAccount
    first_block: int
    token: Contract
    received_eth: tuple[float, ...]
    sent_eth: tuple[float, ...]
    tokens_in: float
    tokens_out: float


def send_eth(w3: Web3, sender: LocalAccount, to: str, wei: int) -> dict:
    """A plain signed ETH transfer, mined."""
    tx: TransactionDictType = {
        "to": Web3.to_checksum_address(to),
        "value": wei,
        "gas": 21_000,
        "nonce": w3.eth.get_transaction_count(sender.address, "pending"),
        "chainId": w3.eth.chain_id,
        "maxFeePerGas": 2 * w3.eth.gas_price + 1,
        "maxPriorityFeePerGas": 1,
    }
    signed = sender.sign_transaction(tx)
    return wait_receipt(w3, bytes(w3.eth.send_raw_transaction(signed.raw_transaction)))


def build_history(w3: Web3, funder: LocalAccount, friend: LocalAccount) -> LocalHistory:
    """A fresh account: 2 ETH receipts, 2 ETH sends, tokens in, one token send (to a contract)."""
    me = Account.create()
    first = w3.eth.block_number + 1
    send_eth(w3, funder, me.address, 3 * 10**18)
    send_eth(w3, friend, me.address, 10**18 // 2)
    send_eth(w3, me, friend.address, 10**18)
    send_eth(w3, me, funder.address, 10**18 // 4)
    token = deploy_helper(w3, funder, "TestToken", 10**6 * 10**TOKEN_DECIMALS)
    send_call(w3, funder, token.functions.transfer(me.address, 1500 * 10**TOKEN_DECIMALS))
    send_call(w3, me, token.functions.transfer(friend.address, 250 * 10**TOKEN_DECIMALS))
    return LocalHistory(me, first, token, (3.0, 0.5), (1.0, 0.25), 1500.0, 250.0)
