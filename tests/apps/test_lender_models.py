"""The lender app's model page on a real Anvil: history charts, updates, evaluation, downloads."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from fedlend.services.bounty_terms import BountyTerms
from fedlend.services.evaluation import Evaluation, evaluate_pending
from fedlend.services.lender import PostedModel
from fl.train import TrainConfig
from fl.weights import load_model
from tests.apps.lender_support import (
    charts,
    dead_rpc_url,
    flashes,
    lender_app,
    page,
    post_action,
    update_row,
)
from tests.market import LoanCsvs, Market, PostBounty

REWARD_WEI = 1_546_000_000_000_000_000  # what the seeded accepted update earns (pinned below)


@dataclass(frozen=True)
class Evaluated:
    """A zero-based model with one accepted and one rejected real update, judged by the service."""

    model_id: int
    verdicts: list[Evaluation]

    @property
    def accepted(self) -> Evaluation:
        return next(v for v in self.verdicts if v.accepted)

    @property
    def rejected(self) -> Evaluation:
        return next(v for v in self.verdicts if not v.accepted)


@pytest.fixture(scope="module")
def evaluated(market: Market, posted: PostBounty, loan_csvs: LoanCsvs) -> Evaluated:
    model = posted(target=0.80, bounty_wei=3 * 10**18, base="zero")
    owner = market.owner(1)
    sha = owner.add_dataset(loan_csvs["owner1"], name="owner1").sha256
    owner.contribute(model.model_id, sha, TrainConfig(2.0, seed=1))
    junk = market.node(2)  # a second update in the round that cannot be opened
    junk.client.submit_update(model.model_id, junk.put(b"not a sealed update"))
    verdicts = evaluate_pending(market.lender(), model.model_id)  # one round of two
    assert [v.accepted for v in verdicts] == [True, False], verdicts
    return Evaluated(model.model_id, verdicts)


def test_model_page_shows_scores_payments_and_each_update(
    market: Market, evaluated: Evaluated, tmp_path: Path
) -> None:
    html = page(lender_app(market, tmp_path).test_client(), f"/models/{evaluated.model_id}")
    accepted, rejected = evaluated.accepted, evaluated.rejected
    assert accepted.reward_wei == REWARD_WEI
    score_chart, paid_chart = charts(html)[:2]  # then the desk's ROC, calibration, histogram
    assert score_chart["labels"] == ["posted", f"#{accepted.update_id}"]
    assert score_chart["datasets"][0]["data"] == [0.5, accepted.score / 10_000]
    assert score_chart["datasets"][1]["data"] == [0.8, 0.8]
    assert paid_chart["datasets"][0]["data"] == [0.0, 1.546]
    assert f'id="current-score">{accepted.score / 10_000:.4f}<' in html
    assert 'id="bounty-left">1.454 ETH<' in html
    row = update_row(html, accepted.update_id)
    assert "pill-accepted" in row
    assert "1.546 ETH" in row
    assert "improved the model" in row
    assert "ε 1.99, δ 1e-05, n 2000" in row
    assert "100.00%" in row
    assert f'id="shapley-{accepted.update_id}">{accepted.shapley_value:+.5f}<' in row
    row = update_row(html, rejected.update_id)
    assert "pill-rejected" in row
    assert "not a fedlend sealed update" in row
    assert "0 ETH" in row
    assert 'id="local-missing"' not in html


def test_audit_bundle_downloads_the_opened_round(
    market: Market, evaluated: Evaluated, tmp_path: Path
) -> None:
    from fedlend.services.audit import audit_model
    from fedlend.services.audit_bundle import parse_bundle

    client = lender_app(market, tmp_path).test_client()
    html = page(client, f"/models/{evaluated.model_id}")
    assert f'href="/models/{evaluated.model_id}/audit-bundle.json"' in html
    response = client.get(f"/models/{evaluated.model_id}/audit-bundle.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    facts, rounds = parse_bundle(response.data)
    assert facts["model_id"] == evaluated.model_id
    [updates] = rounds.values()
    assert sorted(u.update_id for u in updates) == sorted(v.update_id for v in evaluated.verdicts)
    assert [bool(u.unopenable) for u in updates] == [False, True]
    assert audit_model(market.node(9), evaluated.model_id).ok


def test_without_local_records_the_page_still_renders_from_the_chain(
    market: Market, evaluated: Evaluated, tmp_path: Path
) -> None:
    app = lender_app(market, tmp_path / "fresh", LENDER_STATE_DIR=tmp_path / "empty-state")
    client = app.test_client()
    html = page(client, f"/models/{evaluated.model_id}")
    assert "no evaluation records for 2" in html
    assert 'id="local-missing"' in html
    row = update_row(html, evaluated.accepted.update_id)
    assert "pill-accepted" in row
    assert "1.546 ETH" in row
    assert "no local record" in row
    assert charts(html)[1]["datasets"][0]["data"] == [0.0, 1.546]
    card = client.get(f"/models/{evaluated.model_id}/card.md").get_data(as_text=True)
    assert "unknown (no local evaluation record on this machine)" in card


def test_model_zip_holds_a_loadable_model_and_its_card(
    market: Market, evaluated: Evaluated, tmp_path: Path
) -> None:
    client = lender_app(market, tmp_path / "app").test_client()
    response = client.get(f"/models/{evaluated.model_id}/model.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert f"fedlend-model-{evaluated.model_id}.zip" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert sorted(archive.namelist()) == sorted(
            ["spec.json", "weights.safetensors", "MODEL_CARD.md", "model_card.json"]
        )
        archive.extractall(tmp_path / "model")
    spec, weights = load_model(tmp_path / "model")
    node = market.node(0)
    record = node.client.get_model(evaluated.model_id)
    assert hashlib.sha256((tmp_path / "model" / "spec.json").read_bytes()).digest() == record.spec
    on_chain = node.weights_at(spec, record.weights)
    assert weights.keys() == on_chain.keys()
    assert all(torch.equal(weights[k], on_chain[k]) for k in weights)
    card = json.loads((tmp_path / "model" / "model_card.json").read_text())
    assert card["paid_wei"] == str(REWARD_WEI)
    assert card["remaining_wei"] == str(record.remaining_wei)
    assert [p["update_id"] for p in card["history"]] == [None, evaluated.accepted.update_id]
    privacy = {p["update_id"]: p for p in card["privacy"]}
    for verdict in [evaluated.accepted]:  # the unopenable update claims no privacy figures
        entry = privacy[verdict.update_id]
        assert entry["epsilon"] == pytest.approx(verdict.epsilon)
        assert entry["delta"] == 1e-5
        assert entry["n_examples"] == 2000
    assert "annual_inc" in [f["name"] for f in card["data_schema"]["features"]]


def test_model_card_downloads_as_markdown_and_json(
    market: Market, evaluated: Evaluated, tmp_path: Path
) -> None:
    client = lender_app(market, tmp_path).test_client()
    md = client.get(f"/models/{evaluated.model_id}/card.md")
    assert md.status_code == 200
    assert md.mimetype == "text/markdown"
    text = md.get_data(as_text=True)
    for heading in ("## ROC-AUC history", "## Data schema", "## Privacy of the contributions"):
        assert heading in text
    assert f"| #{evaluated.accepted.update_id} | " in text
    assert "| 2.0e-05 |" not in text
    assert json.loads(client.get(f"/models/{evaluated.model_id}/card.json").data)["metric"]
    bad = page(client, f"/models/{evaluated.model_id}/card.txt", status=400)
    assert "card.md or card.json" in bad


def test_reclaim_is_refused_before_the_deadline_then_paid_out_to_the_wei(
    market: Market,
    posted: Callable[..., PostedModel],
    tmp_path: Path,
    advance_time: Callable[[int], int],
) -> None:
    bounty = 123_456_789_012_345_678
    model_id = posted(duration=3600, bounty_wei=bounty).model_id
    app = lender_app(market, tmp_path)
    client, node = app.test_client(), market.node(0)
    post_action(client, f"/models/{model_id}/reclaim")
    html = page(client, f"/models/{model_id}")
    [(kind, message)] = flashes(html)
    assert kind == "error"
    assert f"model {model_id} is open until" in message
    assert "reclaim after the deadline" in message
    assert 'id="reclaim"' not in html

    advance_time(3601)
    html = page(client, f"/models/{model_id}")
    assert "pill-expired" in html
    assert 'id="reclaim">Reclaim <span class="eth" title="0.123456789012345678 ETH' in html
    assert 'data-eth-exact="0.123456789012345678 ETH">0.1235 ETH</span>' in html
    owed_before = node.client.owed(node.address)
    post_action(client, f"/models/{model_id}/reclaim")
    html = page(client, f"/models/{model_id}")
    assert (
        "success",
        f"Reclaimed 0.1235 ETH from model #{model_id}; it is "
        "credited to you: withdraw it on the Account page.",
    ) in flashes(html)
    assert "pill-reclaimed" in html
    owed = node.client.owed(node.address)
    assert owed - owed_before == bounty

    balance = node.balance()
    post_action(client, "/account/withdraw")
    [withdrawn] = node.client.events(names=["Withdrawn"])[-1:]
    assert withdrawn.account == node.address
    assert withdrawn.amount_wei == owed
    receipt = node.client.w3.eth.get_transaction_receipt(withdrawn.at.tx_hash)
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert node.balance() == balance + owed - fee
    html = page(client, "/account/")
    assert any(kind == "success" and "Withdrew" in text for kind, text in flashes(html))
    assert 'id="owed">0 ETH<' in html
    post_action(client, "/account/withdraw")
    [(kind, message)] = flashes(page(client, "/account/"))
    assert kind == "error"
    assert "nothing is owed" in message


def test_another_lenders_bounty_is_shown_read_only(
    market: Market, loan_csvs: dict[str, bytes], tmp_path: Path
) -> None:
    other = market.lender(5)
    deadline = other.node.client.chain_time() + 86_400
    terms = BountyTerms("Someone else's bounty", 8000, 10**16, deadline)
    model_id = other.post_bounty(loan_csvs["lender"], terms).model_id
    client = lender_app(market, tmp_path).test_client()
    html = page(client, f"/models/{model_id}")
    assert "another lender's bounty" in html
    assert 'id="evaluate-now"' not in html
    post_action(client, f"/models/{model_id}/evaluate")
    [(kind, message)] = flashes(page(client, f"/models/{model_id}"))
    assert kind == "error"
    assert "not to this account" in message
    home = page(client, "/")
    others = home.split("Other open bounties", 1)[1]
    assert "Someone else&#39;s bounty" in others


def test_unknown_model_is_a_friendly_404(market: Market, tmp_path: Path) -> None:
    html = page(lender_app(market, tmp_path).test_client(), "/models/999", status=404)
    assert "there is no model #999 on this contract" in html


def test_storage_outage_is_explained_on_the_page(
    market: Market, evaluated: Evaluated, tmp_path: Path
) -> None:
    settings = market.settings(0).with_(ipfs_url=dead_rpc_url())
    client = lender_app(market, tmp_path, FEDLEND_SETTINGS=settings).test_client()
    html = page(client, f"/models/{evaluated.model_id}")
    assert "The model spec cannot be fetched" in html
    assert "cannot reach the IPFS node" in html
    assert "pill-accepted" in html  # scores and rewards still come from the chain
    assert "cannot reach the IPFS node" in page(
        client, f"/models/{evaluated.model_id}/model.zip", status=503
    )
