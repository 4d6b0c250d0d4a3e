"""`fedlend audit` on a real round: public checks, full recomputation, a tampered bundle caught."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fedlend.chain.accounts import dev_account
from fedlend.chain.rpc import send_call
from fedlend.errors import DataError
from fedlend.sealing.typed import KeyTypedSigner
from fedlend.services.audit import audit_model, expected_rewards
from fedlend.services.audit_bundle import export_bundle, parse_bundle
from fedlend.services.evaluation import evaluate_pending
from fedlend.services.lender import PostedModel
from fedlend.services.node import open_node
from fedlend.services.owner import OwnerService
from fl.train import TrainConfig
from tests.market import Market

Judged = tuple[int, bytes]  # the `judged` fixture: (model id, the lender's audit bundle)


@pytest.fixture(scope="module")
def judged(
    market: Market, posted: Callable[..., PostedModel], loan_csvs: dict[str, bytes]
) -> Judged:
    """A zero-based model judged in one round of two real updates and one unopenable blob."""
    model = posted(target=0.80, bounty_wei=10**18 + 7, base="zero")
    for dev, part, seed in ((1, "owner1", 21), (2, "owner2", 22)):
        owner = market.owner(dev)
        sha = owner.add_dataset(loan_csvs[part], name=part).sha256
        owner.contribute(model.model_id, sha, TrainConfig(3.0, seed=seed))
    junk = market.node(3)
    junk.client.submit_update(model.model_id, junk.put(b"junk"))
    lender = market.lender()
    verdicts = evaluate_pending(lender, model.model_id)
    assert sum(v.accepted for v in verdicts) >= 1
    return model.model_id, export_bundle(lender, model.model_id)


def test_public_audit_checks_payouts_and_conservation(market: Market, judged: Judged) -> None:
    model_id, _ = judged
    report = audit_model(market.node(9), model_id)
    assert report.ok, report.mismatches
    assert (report.rounds, report.updates, report.recomputed_rounds) == (1, 3, 0)
    assert report.checks == 3 + 2 + 1  # blobs, payout rule + rewards sum, conservation


def test_the_bundle_and_validation_csv_reproduce_every_share(
    market: Market, judged: Judged, loan_csvs: dict[str, bytes]
) -> None:
    model_id, raw = judged
    _, bundle = parse_bundle(raw)
    report = audit_model(
        market.node(9), model_id, bundle=bundle, validation_csv=loan_csvs["lender"]
    )
    assert report.ok, report.mismatches
    assert report.recomputed_rounds == 1


def test_a_tampered_bundle_is_caught(
    market: Market, judged: Judged, loan_csvs: dict[str, bytes]
) -> None:
    model_id, raw = judged
    doc = json.loads(raw)
    [round_] = doc["rounds"]
    first = next(u for u in round_["updates"] if "payload" in u)
    payload = bytearray(base64.b64decode(first["payload"]))
    payload[-1] ^= 0x01  # one bit of one weight
    first["payload"] = base64.b64encode(bytes(payload)).decode()
    _, bundle = parse_bundle(json.dumps(doc).encode())
    report = audit_model(
        market.node(9), model_id, bundle=bundle, validation_csv=loan_csvs["lender"]
    )
    assert not report.ok
    assert any(f"update #{first['update_id']} in the bundle" in m for m in report.mismatches)


def test_a_different_validation_csv_is_named(
    market: Market, judged: Judged, loan_csvs: dict[str, bytes]
) -> None:
    model_id, raw = judged
    _, bundle = parse_bundle(raw)
    report = audit_model(
        market.node(9), model_id, bundle=bundle, validation_csv=loan_csvs["owner1"]
    )
    assert any("the spec commits to" in m for m in report.mismatches)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[" * 50 + b"]" * 50, "nests 50 levels deep"),
        (b"{not json", "not valid JSON"),
        (b'{"version": 2}', "version-1"),
        (
            b'{"version": 1, "rounds": [{"tx_hash": "0x1", "updates": [{"update_id": "1"}]}]}',
            "integer",
        ),
        (
            b'{"version": 1, "rounds": [{"tx_hash": "0x1", "updates": '
            b'[{"update_id": 1, "header": "!!", "signature": "00", "payload": ""}]}]}',
            "malformed",
        ),
    ],
)
def test_a_hostile_bundle_is_refused_with_a_reason(raw: bytes, message: str) -> None:
    with pytest.raises(DataError, match=message):
        parse_bundle(raw)


def test_expected_rewards_follow_the_contract_rounding() -> None:
    assert expected_rewards(1001, [3333, 0, 6667]) == [333, 0, 668]
    assert expected_rewards(0, [0, 0]) == [0, 0]


def test_the_audit_command_prints_the_checks_and_fails_on_a_mismatch(
    market: Market,
    judged: Judged,
    loan_csvs: dict[str, bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from fedlend.cli import main

    model_id, raw = judged
    monkeypatch.setenv("FEDLEND_HOME", str(market.home))
    monkeypatch.setenv("FEDLEND_RPC_URL", market.rpc_url)
    monkeypatch.setenv("FEDLEND_CONTRACT", market.contract)
    monkeypatch.delenv("FEDLEND_DEV_ACCOUNT", raising=False)
    (tmp_path / "bundle.json").write_bytes(raw)
    (tmp_path / "val.csv").write_bytes(loan_csvs["lender"])
    args = ["audit", "--model-id", str(model_id), "--bundle", str(tmp_path / "bundle.json")]
    assert main([*args, "--data", str(tmp_path / "val.csv"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"]
    assert report["recomputed_rounds"] == 1
    (tmp_path / "other.csv").write_bytes(loan_csvs["owner2"])
    assert main([*args, "--data", str(tmp_path / "other.csv")]) == 1
    assert "MISMATCH the validation CSV hashes to" in capsys.readouterr().out


class _KeyWallet:
    """A wallet as the services see one (ExternalSigner + TypedDataSigner), backed by a dev key."""

    def __init__(self, index: int) -> None:
        self._account = dev_account(index)
        self._typed = KeyTypedSigner(self._account)

    @property
    def address(self) -> str:
        return str(self._account.address)

    def send(self, w3: Any, call: Any, *, value: int = 0) -> dict[str, Any]:
        return send_call(w3, self._account, call, value=value)

    def sign_typed_data(self, typed_data: dict[str, Any]) -> bytes:
        return self._typed.sign_typed_data(typed_data)


WalletJudged = tuple[int, int, bytes]


@pytest.fixture(scope="module")
def wallet_judged(
    market: Market, posted: Callable[..., PostedModel], loan_csvs: dict[str, bytes]
) -> WalletJudged:
    """A zero-based model judged in one round holding one wallet-signed (EIP-712) update."""
    model = posted(target=0.80, bounty_wei=10**18 + 3, base="zero")
    node = open_node(market.settings(4), account=_KeyWallet(4))
    owner = OwnerService(node)
    sha = owner.add_dataset(loan_csvs["owner1"], name="owner1").sha256
    update_id = owner.contribute(model.model_id, sha, TrainConfig(3.0, seed=31)).update_id
    lender = market.lender()
    [verdict] = evaluate_pending(lender, model.model_id)
    assert verdict.accepted
    return model.model_id, update_id, export_bundle(lender, model.model_id)


def test_a_wallet_signed_update_is_bundled_as_eip712_and_audits(
    market: Market, wallet_judged: WalletJudged, loan_csvs: dict[str, bytes]
) -> None:
    model_id, update_id, raw = wallet_judged
    _, bundle = parse_bundle(raw)
    [[item]] = bundle.values()
    assert (item.update_id, item.layout) == (update_id, "eip712")
    report = audit_model(
        market.node(9), model_id, bundle=bundle, validation_csv=loan_csvs["lender"]
    )
    assert report.ok, report.mismatches
    assert report.recomputed_rounds == 1


def _with_layout(raw: bytes, layout: str) -> bytes:
    doc = json.loads(raw)
    [round_] = doc["rounds"]
    [item] = round_["updates"]
    item["layout"] = layout
    return json.dumps(doc).encode()


def test_a_flipped_layout_of_a_wallet_signed_update_is_caught(
    market: Market, wallet_judged: WalletJudged, loan_csvs: dict[str, bytes]
) -> None:
    model_id, update_id, raw = wallet_judged
    _, bundle = parse_bundle(_with_layout(raw, "eip191"))
    report = audit_model(
        market.node(9), model_id, bundle=bundle, validation_csv=loan_csvs["lender"]
    )
    assert not report.ok
    [problem] = [m for m in report.mismatches if f"update #{update_id} in the bundle" in m]
    assert "signed by" in problem


def test_an_unknown_layout_is_refused_when_the_bundle_is_read(wallet_judged: WalletJudged) -> None:
    _, _, raw = wallet_judged
    with pytest.raises(DataError, match="unknown layout"):
        parse_bundle(_with_layout(raw, "eip999"))
