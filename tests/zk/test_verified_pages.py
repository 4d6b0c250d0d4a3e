"""What owners and the lender see of a verified model: badges, the verifier check, proven rounds."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect

from fedlend.chain.zk_verifier import DeployedVerifier
from fedlend.services.verified import verified_metadata
from fedlend.types import Digest
from fl.spec import ModelSpec
from tests.apps.helpers import assert_no_traceback, build_app, csrf_token, found
from tests.axe import assert_accessible
from tests.browser_helpers import LiveServer
from tests.conftest import DAY
from tests.contracts.helpers import deploy_helper
from tests.market import Market, PostBounty
from tests.zk.conftest import (
    CACHE,
    ROWS,
    ZkRound,
    circuit_spec,
    claim_of,
    create_verified,
    forged_claim,
    prove_round,
)
from zk.fixed import FixedPoint
from zk.keys import CircuitKeys

FAILED = "its verifier is not the project's RoundVerifier: its scores cannot be trusted"


@dataclass(frozen=True)
class Shown:
    """Three models on one contract, and the owner's two judged updates."""

    plain: int  # created unverified
    verified: int  # verified by the project's RoundVerifier, one round proven
    forged: int  # "verified" by a look-alike that calls every proof valid
    proven_update: int
    plain_update: int
    round_tx: str
    round_gas: int


@pytest.fixture(scope="module")
def shown(
    market: Market,
    posted: PostBounty,
    dev_accounts: list[LocalAccount],
    round_verifier: DeployedVerifier,
    initial: ZkRound,
    honest: ZkRound,
    zk_keys: CircuitKeys,
    chain_now: Callable[[], int],
) -> Shown:
    plain = posted()
    lender, owner = market.node(0).client, market.node(1).client
    start, better = claim_of(initial, zk_keys), claim_of(honest, zk_keys)

    titled = ModelSpec.from_json(market.node(0).get(plain.spec_digest)).metadata
    metadata = {**titled, **verified_metadata(FixedPoint())}
    fitting = market.node(0).put(replace(circuit_spec(), metadata=metadata).to_json())
    verified = create_verified(
        lender, round_verifier.round_verifier, start, chain_now() + DAY, spec=fitting
    )  # a real spec in the store whose circuit is the verifier's, so the pages list the model
    fake = deploy_helper(lender.w3, dev_accounts[0], "LookAlikeVerifier", ROWS, zk_keys.vk_digest)
    forged = create_verified(
        lender, fake.address, forged_claim(9_000), chain_now() + DAY, spec=plain.spec_digest
    )
    update = owner.submit_update(verified, Digest(keccak(b"owner update"))).value
    sent = prove_round(lender, verified, update, better)
    plain_update = owner.submit_update(plain.model_id, Digest(keccak(b"plain update"))).value
    lender.evaluate_round(
        plain.model_id,
        [plain_update],
        [0],
        score=plain.initial_score,
        new_weights=plain.weights_digest,
    )
    return Shown(
        plain.model_id, verified, forged, update, plain_update, sent.tx_hash, sent.gas_used
    )


def _app(which: str, market: Market, path: Path, dev: int) -> Iterator[FlaskClient]:
    app: Flask = build_app(which, path, FEDLEND_SETTINGS=market.settings(dev))
    yield app.test_client()
    app.extensions["fedlend_jobs"].shutdown()


@pytest.fixture
def owner_client(market: Market, tmp_path: Path) -> Iterator[FlaskClient]:
    yield from _app("owner", market, tmp_path / "owner", 1)


@pytest.fixture
def lender_client(market: Market, tmp_path: Path) -> Iterator[FlaskClient]:
    yield from _app("lender", market, tmp_path / "lender", 0)


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    body = response.get_data(as_text=True)
    assert_no_traceback(body)
    return html.unescape(body)


def _words(page: str) -> str:
    """The page's text, tags dropped and whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", "", page).split())


def _row(page: str, model_id: int) -> str:
    return found(rf'<tr data-model="{model_id}".*?</tr>', page, re.S).group(0)


def test_open_bounties_say_verified_unverified_or_failed(
    shown: Shown, owner_client: FlaskClient
) -> None:
    page = _page(owner_client, "/bounties/")
    assert 'data-verification="verified"' in _row(page, shown.verified)
    assert "unverified: scores are the lender's word" in _row(page, shown.plain)
    forged = _row(page, shown.forged)
    assert 'data-verification="failed"' in forged
    assert FAILED in forged


def _upload(client: FlaskClient, csv: bytes) -> str:
    form = {"csrf_token": csrf_token(client, "/data/"), "file": (io.BytesIO(csv), "mine.csv")}
    response = client.post("/data/", data=form, content_type="multipart/form-data")
    assert response.status_code == 302
    return response.headers["Location"].split("/data/")[1].split("?")[0]


def test_before_spending_epsilon_the_owner_reads_what_is_proven_and_the_check(
    shown: Shown, owner_client: FlaskClient, loan_csvs: dict[str, bytes]
) -> None:
    sha = _upload(owner_client, loan_csvs["owner1"])
    review = _page(owner_client, f"/contribute/?model={shown.verified}&dataset={sha}&epsilon=1")
    explained = found(
        r'<div class="verification" data-verification-explained="verified">.*?</div>', review, re.S
    ).group(0)
    for words in (
        f"validation set of {ROWS} loans",
        "rejections too",
        "1 round proven so far",
        "The lender chooses the validation set",
        "INSECURE",
        "Verifier check passed: its verifier is the project's RoundVerifier",
        f"Check the circuit here, or run fedlend audit --model-id {shown.verified} --circuit.",
    ):
        assert words in _words(explained), words
    assert review.index("data-verification-explained") < review.index('id="start-training"')
    forged = _page(owner_client, f"/contribute/?model={shown.forged}&dataset={sha}&epsilon=1")
    assert f"Verifier check FAILED: {FAILED}." in _words(forged)
    plain = _page(owner_client, f"/contribute/?model={shown.plain}")
    assert 'data-verification-explained="unverified"' in plain
    assert "are the lender's word" in plain


def test_contributions_say_per_round_whether_it_was_proven(
    shown: Shown, owner_client: FlaskClient
) -> None:
    page = _page(owner_client, "/contributions/")
    proven = found(rf'<tr data-update="{shown.proven_update}".*?</tr>', page, re.S).group(0)
    assert 'data-round-proof="true"' in proven
    assert "its round was proven in zero knowledge" in proven
    plain = found(rf'<tr data-update="{shown.plain_update}".*?</tr>', page, re.S).group(0)
    assert 'data-round-proof="unverified"' in plain


def test_the_lender_model_page_shows_the_verifier_and_each_proven_round(
    shown: Shown, lender_client: FlaskClient, round_verifier: DeployedVerifier
) -> None:
    page = _page(lender_client, f"/models/{shown.verified}")
    card = found(r'<section class="card" id="verification">.*?</section>', page, re.S).group(0)
    assert round_verifier.round_verifier in card
    assert 'data-verifier-check="passed"' in card
    proven = found(rf'<tr data-proven-round="{shown.round_tx}".*?</tr>', card, re.S).group(0)
    assert f'data-gas="{shown.round_gas}"' in proven
    assert f"fedlend audit --model-id {shown.verified}" in card
    chart = found(r"data-chart-data='(.*?)'", card).group(1)
    assert json.loads(chart)["labels"] == ["posted", "round 1"]
    plain = _page(lender_client, f"/models/{shown.plain}")
    assert 'data-verification="unverified"' in plain
    forged = _page(lender_client, f"/models/{shown.forged}")
    assert 'data-verifier-check="failed"' in forged


def test_the_audit_command_prints_the_verifier_check(
    shown: Shown,
    market: Market,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from fedlend.cli import main

    monkeypatch.setenv("FEDLEND_HOME", str(market.home))
    monkeypatch.setenv("FEDLEND_RPC_URL", market.rpc_url)
    monkeypatch.setenv("FEDLEND_CONTRACT", market.contract)
    monkeypatch.delenv("FEDLEND_DEV_ACCOUNT", raising=False)
    main(["audit", "--model-id", str(shown.verified)])
    out = capsys.readouterr().out
    assert "verifier check passed: its verifier is the project's RoundVerifier" in out
    assert f"proven round {shown.round_tx}" in out
    monkeypatch.setenv("FEDLEND_ZK_CACHE", str(CACHE))  # where the test circuit's SRS lives
    main(["audit", "--model-id", str(shown.verified), "--circuit"])  # its update blobs: elsewhere
    out = capsys.readouterr().out
    assert "MISMATCH circuit" not in out
    assert "circuit check passed: the Halo2 verifier at " in out
    assert "is the spec's own circuit: rebuilt here (64 rows x 7, 2^12 rows)" in out
    assert main(["audit", "--model-id", str(shown.forged)]) == 1
    out = capsys.readouterr().out
    assert f"verifier check FAILED: {FAILED}" in out
    assert f"MISMATCH verifier: {FAILED}" in out


@pytest.mark.browser
def test_the_verified_views_pass_axe(
    shown: Shown,
    market: Market,
    tmp_path: Path,
    live_server: Callable[[Flask], LiveServer],
    page: Page,
) -> None:
    for dev, which, paths in (
        (1, "owner", ["/bounties/", "/contributions/"]),
        (0, "lender", [f"/models/{shown.verified}", f"/models/{shown.forged}"]),
    ):
        app = build_app(
            which, tmp_path / which, FEDLEND_SETTINGS=market.settings(dev), TESTING=False
        )
        server = live_server(app)
        for path in paths:
            page.goto(server.url(path))
            assert page.locator("[data-verification]").count() > 0, path
            assert_accessible(page, f"{which} {path}")


@pytest.mark.parametrize(
    ("which", "verdict", "words"),
    [
        ("verified", "passed", "is the spec's own circuit: rebuilt here (64 rows x 7, 2^12 rows)"),
        ("forged", None, "is not the project's RoundVerifier"),
    ],
    ids=["the honest verifier", "a look-alike"],
)
def test_the_owner_checks_the_circuit_from_the_contribute_page(
    shown: Shown,
    market: Market,
    tmp_path: Path,
    loan_csvs: dict[str, bytes],
    which: str,
    verdict: str | None,
    words: str,
) -> None:
    settings = replace(market.settings(1), zk_cache=CACHE)  # the lender's SRS lives there
    app: Flask = build_app("owner", tmp_path / "owner", FEDLEND_SETTINGS=settings)
    client = app.test_client()
    model_id = getattr(shown, which)
    try:
        _upload(client, loan_csvs["owner1"])
        before = _page(client, f"/contribute/?model={model_id}")
        if verdict is None:  # the page check failed already: nothing deeper is offered
            assert words in _words(before)
            assert "data-circuit-check-start" not in before
            return
        assert 'data-circuit-check="not-run"' in before
        form = found(rf'<form id="circuit-form-{model_id}" method="post" action="(.*?)"', before)
        assert form.group(1) == f"/circuit/{model_id}"
        assert f'form="circuit-form-{model_id}"' in before  # the button outside it names it
        token = csrf_token(client, f"/contribute/?model={model_id}")
        response = client.post(f"/circuit/{model_id}", data={"csrf_token": token})
        assert response.status_code == 302
        job_id = response.headers["Location"].rsplit("/", 1)[-1]
        done = app.extensions["fedlend_jobs"].wait(job_id, timeout_s=300)
        assert done.result["ok"], done.result
        page = _page(client, f"/circuit/jobs/{job_id}")
        assert f'data-circuit-verdict="{verdict}"' in page
        assert words in _words(page)
        after = _page(client, f"/contribute/?model={model_id}")  # kept on this computer
        assert f'data-circuit-check="{verdict}"' in after
        assert words in _words(after)
    finally:
        app.extensions["fedlend_jobs"].shutdown()


@pytest.mark.browser
def test_the_circuit_check_button_works_in_a_browser(
    shown: Shown,
    market: Market,
    tmp_path: Path,
    loan_csvs: dict[str, bytes],
    live_server: Callable[[Flask], LiveServer],
    page: Page,
) -> None:
    settings = replace(market.settings(1), zk_cache=CACHE)
    app = build_app("owner", tmp_path / "owner", FEDLEND_SETTINGS=settings, TESTING=False)
    _upload(app.test_client(), loan_csvs["owner1"])
    server = live_server(app)
    page.goto(server.url(f"/contribute/?model={shown.verified}"))
    page.click("[data-circuit-check-start]")  # outside the choose form: it names its own
    page.wait_for_url(re.compile(r"/circuit/jobs/[0-9a-f]+$"))
    verdict = page.locator('[data-circuit-verdict="passed"]')
    verdict.wait_for(timeout=120_000)  # jobs.js reloads the page when the job ends
    assert "is the spec's own circuit" in verdict.inner_text()
    expect(page.locator("[data-job-url]")).to_have_count(0)  # the reloaded page polls nothing
    assert_accessible(page, "owner circuit check")
