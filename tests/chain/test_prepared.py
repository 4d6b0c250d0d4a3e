"""Contract creations prepared for a browser wallet: no `to`, and only the prepared code counts."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3

from fedlend.chain.accounts import dev_account
from fedlend.chain.compile import load_artifact
from fedlend.chain.prepared import follow, prepare_deploy
from fedlend.errors import TransactionFailedError

SENDER = dev_account(3).address  # Anvil holds its key: the test stands in for the wallet


def _constructor(w3: Web3) -> Any:
    artifact = load_artifact("ModelRepository")
    return w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode).constructor()


def _wallet_sends(w3: Web3, params: dict[str, str]) -> str:
    return Web3.to_hex(w3.eth.send_transaction(params))  # type: ignore[arg-type]


def test_a_prepared_deployment_is_sent_without_to_and_followed_to_its_contract(w3: Web3) -> None:
    constructor = _constructor(w3)
    prepared = prepare_deploy(w3, SENDER, constructor, summary="Deploy it")
    params = prepared.wallet_params()
    assert "to" not in params
    assert (prepared.function, prepared.summary, prepared.value) == ("deploy", "Deploy it", 0)
    receipt = follow(w3, prepared, _wallet_sends(w3, params), constructor)
    assert w3.eth.get_code(receipt["contractAddress"]) != b""


@pytest.mark.parametrize("other", ["code", "call"])
def test_a_wallet_that_sends_something_else_is_refused(w3: Web3, other: str) -> None:
    constructor = _constructor(w3)
    prepared = prepare_deploy(w3, SENDER, constructor, summary="Deploy it")
    params = prepared.wallet_params()
    if other == "code":  # another contract's creation code
        params["data"] = prepared.data + "00"
    else:  # a plain transfer instead of the creation
        params = {"from": SENDER, "to": SENDER, "value": "0x1"}
    with pytest.raises(TransactionFailedError, match="is not the one prepared"):
        follow(w3, prepared, _wallet_sends(w3, params), constructor)
