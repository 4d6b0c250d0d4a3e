"""The owner app's process killed (-9) mid-job and after it, then started again on the same data:
the job says it was interrupted, nothing is submitted or charged twice, no wei goes missing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from web3 import Web3

from fedlend.chain.events import UpdateSubmitted
from fedlend.services.node import open_node
from fedlend.services.owner import OwnerService
from fedlend.settings import SHIPPED_LOANS
from fedlend.web.jobs import INTERRUPTED_MESSAGE
from tests.e2e.app_process import AppProcess
from tests.market import LoanCsvs, Market, PostBounty

TRAINING_ENDS = 0.87  # the contribute job's progress once training is done (and ε charged)


@pytest.fixture
def owner_app(market: Market) -> Iterator[AppProcess]:
    app = AppProcess("owner-app", market.settings(1))
    yield app
    app.kill()


def _contribute(app: AppProcess, model_id: int, sha: str) -> str:
    """Start a contribution from the form, as a browser does; the job's id."""
    page = f"/contribute/?model={model_id}&dataset={sha}"
    sent = app.post_form(page, "/contribute/", {"model": model_id, "dataset": sha, "epsilon": "1"})
    assert sent.status_code == 302, sent.text[:500]
    return sent.headers["Location"].rstrip("/").rsplit("/", 1)[1]


def _training(job: dict[str, Any]) -> bool:
    return job["state"] == "running" and 0.02 < job["progress"] < TRAINING_ENDS / 2


@pytest.mark.slow
def test_killing_the_owner_app_mid_job_and_after_loses_and_doubles_nothing(
    market: Market, posted: PostBounty, loan_csvs: LoanCsvs, owner_app: AppProcess
) -> None:
    model = posted(target=0.99, bounty_wei=10**18, base="zero")
    owner = OwnerService(open_node(market.settings(1)))
    # the killed job trains on every shipped loan (long enough to be killed mid-training),
    # the one that finishes on 2,000 of them
    big = owner.add_dataset(SHIPPED_LOANS.read_bytes(), name="all loans").sha256
    sha = owner.add_dataset(loan_csvs["owner1"], name="owner1").sha256
    w3: Web3 = owner.node.client.w3
    address = Web3.to_checksum_address(owner.node.address)
    balance, nonce = w3.eth.get_balance(address), w3.eth.get_transaction_count(address)

    owner_app.start()
    first = _contribute(owner_app, model.model_id, big)
    owner_app.wait_job(first, _training)
    owner_app.kill()  # mid-training: no ε charged yet, nothing sent
    owner_app.start()
    interrupted = owner_app.job(first)
    assert interrupted["state"] == "failed"
    assert interrupted["error"] == INTERRUPTED_MESSAGE  # the page says so, and what to do

    second = _contribute(owner_app, model.model_id, sha)
    done = owner_app.wait_job(second, lambda j: j["finished"])
    assert done["state"] == "done", done["error"]
    owner_app.kill()  # after the job: a restart must neither redo nor forget it
    owner_app.start()
    again = owner_app.job(second)
    assert (again["state"], again["result"]["update_id"]) == ("done", done["result"]["update_id"])
    assert str(done["result"]["update_id"]) in owner_app.get("/contributions/").text

    mine = [
        e.update_id
        for e in owner.node.client.events()
        if isinstance(e, UpdateSubmitted) and e.submitter.lower() == address.lower()
    ]
    assert mine == [done["result"]["update_id"]]  # submitted once, by the second job only
    charges = owner.ledger.history(address, sha)
    assert [c.epsilon for c in charges] == [pytest.approx(done["result"]["epsilon"])]
    assert owner.ledger.history(address, big) == []  # killed before its training ended
    receipt = w3.eth.get_transaction_receipt(done["result"]["tx_hash"])
    fee = int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])
    assert w3.eth.get_transaction_count(address) == nonce + 1  # one transaction in all
    assert w3.eth.get_balance(address) == balance - fee  # to the wei
    assert owner.node.client.owed(address) == 0
    assert owner_app.starts == 3
