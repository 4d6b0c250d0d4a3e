"""The end-to-end demo: a lender posts a bounty, owners train privately, the lender pays on-chain.

Everything is real: Anvil (started here, state persisted), the embedded content store, the shipped
Lending Club loans, Opacus DP-SGD, sealed updates and the ModelRepository contract.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypedDict

import pandas as pd

from fedlend.chain.accounts import dev_account
from fedlend.chain.anvil import AnvilProcess, advance_time, port_in_use, rpc_chain_id
from fedlend.chain.client import ModelRepositoryClient
from fedlend.demo.verified import (
    PROOF_STAGES,
    TICK_LINE_S,
    check_proven,
    note_posting,
    note_round,
)
from fedlend.errors import ChainError, FedlendError
from fedlend.redact import redact_url
from fedlend.services.bounty_terms import BountyTerms
from fedlend.services.evaluation import evaluate_pending, weight_versions
from fedlend.services.lender import LenderService
from fedlend.services.node import Node
from fedlend.services.owner import OwnerService
from fedlend.settings import LOCAL_CHAIN_ID, SHIPPED_LOANS, Settings
from fedlend.storage.factory import open_store
from fedlend.types import MAX_SCORE, WEI_PER_ETH, ModelRecord, ModelStatus, Wei
from fl.data import REFERENCE_DATE, load_loans
from fl.evaluate import score
from fl.features import encode
from fl.simulate import epochs_for
from fl.splits import by_state
from fl.train import TrainConfig
from fl.weights import save_model

Say = Callable[[str], None]
LENDER_ROWS = 4750  # half trains the lender's base model, half is its private validation set


@dataclass(frozen=True)
class DemoConfig:
    """What the demo runs; defaults are the documented main job."""

    owners: int = 5
    rounds: int = 3
    epsilon: float = 3.0  # each owner's TOTAL over all rounds
    delta: float = 1e-5
    bounty_eth: float = 10.0
    target: float = 0.72
    deadline_hours: float = 24.0
    seed: int = 0
    ghost_lender: bool = True  # also run the scenario of a lender who never evaluates
    verified: bool = False  # prove every round's score (zero-knowledge; minutes per proof)
    lender_rows: int = LENDER_ROWS  # the lender's loans (half of them its validation set)
    features: tuple[str, ...] | None = None  # None: every usable column (a test narrows it)


class OwnerOutcome(TypedDict):
    """One owner's line in the demo's result: paid, gas fees, balance change (wei), epsilon."""

    address: str
    paid_wei: int
    fees_wei: int
    balance_change_wei: int
    epsilon: float


@dataclass(frozen=True)
class Cast:
    """Who plays in the main scenario: the lender and the owners, with what the run tracks."""

    lender: LenderService
    owners: list[OwnerService]
    datasets: list[str]  # each owner's dataset (sha256), in owner order
    start_balances: list[Wei]  # each owner's balance before the demo
    fees: list[int]  # each owner's gas fees so far (added to as the demo runs)


@dataclass
class DemoResult:
    """Figures the demo reports (also as JSON)."""

    metric: str = "roc_auc"
    initial_score: int = 0
    final_score: int = 0
    target_score: int = 0
    bounty_wei: int = 0
    paid_wei: int = 0
    reclaimed_wei: int = 0
    unspent_wei: int = 0
    accepted: int = 0
    rejected: int = 0
    owners: list[OwnerOutcome] = field(default_factory=list)
    rounds: int = 0
    epsilon_per_owner: float = 0.0
    epsilon_budget: float = 0.0
    gas: dict[str, int] = field(default_factory=dict)
    score_path: list[int] = field(default_factory=list)
    test_auc_initial: float = 0.0
    test_auc_final: float = 0.0
    seconds: float = 0.0
    model_path: str = ""
    model_id: int = 0
    contract: str = ""
    rpc_url: str = ""
    checks: dict[str, bool] = field(default_factory=dict)
    round_details: list[dict[str, object]] = field(default_factory=list)
    ghost: dict[str, object] = field(default_factory=dict)
    verified: dict[str, Any] = field(default_factory=dict)  # proofs' figures (--verified only)


def ensure_chain(settings: Settings, say: Say) -> AnvilProcess | None:
    """Reuse the node at settings.rpc_url if it answers, else start Anvil there with saved state."""
    try:
        rpc_chain_id(settings.rpc_url)
        say(f"using the chain already running at {redact_url(settings.rpc_url)}")
        return None
    except (ChainError, OSError):
        pass
    port = int(settings.rpc_url.rsplit(":", 1)[1].split("/")[0])
    if port_in_use(port):
        raise ChainError(
            f"port {port} is busy but no chain answers there: free it or set FEDLEND_RPC_URL"
        )
    state = settings.home / "anvil-state.json"
    settings.home.mkdir(parents=True, exist_ok=True)
    node = AnvilProcess(port=port, state_file=state).start()
    say(f"started Anvil on {node.rpc_url} (state kept in {state})")
    return node


def split_parties(
    frame: pd.DataFrame, config: DemoConfig
) -> tuple[bytes, list[tuple[str, bytes]], pd.DataFrame]:
    """(lender CSV, [(owner name, owner CSV)], out-of-time test frame) from the shipped loans."""
    is_test = frame[REFERENCE_DATE].str.strip() >= "2011-05"
    test, rest = frame[is_test], frame[~is_test].sample(frac=1.0, random_state=config.seed)
    lender, pool = rest.iloc[: config.lender_rows], rest.iloc[config.lender_rows :]
    groups = by_state(pool["addr_state"].fillna("??").to_numpy(), config.owners)
    owners = []
    for idx in groups:
        part = pool.iloc[idx]
        states = part["addr_state"].value_counts().index[:3].tolist()
        owners.append(
            (
                "+".join(states) + ("+…" if part["addr_state"].nunique() > 3 else ""),
                part.to_csv(index=False).encode(),
            )
        )
    return lender.to_csv(index=False).encode(), owners, test


def run_demo(settings: Settings, config: DemoConfig, say: Say) -> DemoResult:
    """Run the whole loop; raises FedlendError with what to do if anything is off."""
    started = time.perf_counter()
    out = DemoResult(rounds=config.rounds, epsilon_budget=config.epsilon)
    anvil = ensure_chain(settings, say)
    try:
        _run(settings, config, say, out)
    finally:
        if anvil is not None:
            anvil.stop()
    out.seconds = round(time.perf_counter() - started, 1)
    return out


def _run(settings: Settings, config: DemoConfig, say: Say, out: DemoResult) -> None:
    from fedlend.chain.rpc import connect

    w3 = connect(settings.rpc_url)
    if w3.eth.chain_id != LOCAL_CHAIN_ID:
        raise FedlendError(
            "the demo spends dev-account ETH: run it on a local chain (chain id 31337)"
        )
    deployer = dev_account(0)
    client = ModelRepositoryClient.deploy(w3, deployer)
    settings.record_deployment(LOCAL_CHAIN_ID, client.address)
    out.contract, out.rpc_url = client.address, settings.rpc_url
    say(f"deployed ModelRepository at {client.address}")
    _fresh_local_state(settings, config, say)
    store = open_store(settings)
    lender = LenderService(Node(settings, client, store))
    owners = [
        OwnerService(Node(settings, client.with_account(dev_account(i + 1)), store))
        for i in range(config.owners)
    ]

    say(f"loading {SHIPPED_LOANS.name} (real Lending Club loans)")
    lender_csv, owner_csvs, test_frame = split_parties(load_loans(SHIPPED_LOANS), config)
    start_balances = [o.node.balance() for o in owners]
    _post(lender, lender_csv, config, say, out)
    datasets = _add_datasets(owners, owner_csvs, config, say)
    cast = Cast(lender, owners, datasets, start_balances, [0] * config.owners)
    for r in range(1, config.rounds + 1):
        _round(cast, config, r, say, out)
    _finish(cast, test_frame, config, say, out)
    if config.verified:
        out.checks["rounds_proven"] = check_proven(client, out.model_id, out.verified)
    if config.ghost_lender:
        from fedlend.demo.ghost import run_ghost

        out.ghost = run_ghost(lender, owner_csvs, config, say)
        out.checks["ghost_bounty_conserved"] = bool(out.ghost["conserved"])
        out.checks["ghost_owner_balances"] = bool(out.ghost["balances_ok"])


def _fresh_local_state(settings: Settings, config: DemoConfig, say: Say) -> None:
    """Forget earlier demo runs' local state of the dev accounts (ledgers, datasets, records).

    The demo's owners are public dev accounts on a local chain: a rerun is a new experiment, so
    their privacy ledgers start empty (on a real deployment a ledger is never reset).
    """
    from fedlend.demo.ghost import GHOST_OWNERS

    removed = 0
    for index in [*range(config.owners + 1), *GHOST_OWNERS]:
        role = "lender" if index == 0 else "owner"
        path = settings.home / role / dev_account(index).address.lower()
        if path.exists():
            shutil.rmtree(path)
            removed += 1
    if removed:
        say("starting afresh: removed the local state of earlier demo runs' dev accounts")


def _post(
    lender: LenderService, data: bytes, config: DemoConfig, say: Say, out: DemoResult
) -> None:
    bounty = int(config.bounty_eth * WEI_PER_ETH)
    deadline = lender.node.client.chain_time() + int(config.deadline_hours * 3600)
    say(
        f"lender {lender.node.address} posts a {config.bounty_eth:g} ETH bounty"
        f" (target ROC-AUC {config.target})"
    )
    terms = BountyTerms(
        title="Lending Club default model (demo)",
        target_score=round(config.target * MAX_SCORE),
        bounty_wei=bounty,
        deadline=deadline,
        verified=config.verified,
        features=config.features,
    )
    posted = lender.post_bounty(data, terms, progress=_bar(say, "  base model"))
    note_posting(posted, out.verified, say)
    out.model_id, out.initial_score = posted.model_id, posted.initial_score
    out.target_score, out.bounty_wei = round(config.target * MAX_SCORE), bounty
    out.score_path.append(posted.initial_score)
    out.gas["createVerifiedModel" if config.verified else "createModel"] = posted.sent.gas_used
    say(
        f"  model #{posted.model_id}: initial validation ROC-AUC "
        f"{posted.initial_score / MAX_SCORE:.4f}"
    )


def _add_datasets(
    owners: list[OwnerService], csvs: list[tuple[str, bytes]], config: DemoConfig, say: Say
) -> list[str]:
    shas = []
    for owner, (name, data) in zip(owners, csvs, strict=True):
        report = owner.add_dataset(data, name=f"loans {name}")
        owner.set_budget(report.sha256, epsilon=config.epsilon, delta=1e-4)
        say(
            f"owner {owner.node.address[:10]}… holds {report.rows:,} loans ({name}), "
            f"privacy budget ε={config.epsilon:g}"
        )
        shas.append(report.sha256)
    return shas


def _round(cast: Cast, config: DemoConfig, r: int, say: Say, out: DemoResult) -> None:
    lender, owners, fees = cast.lender, cast.owners, cast.fees
    say(f"round {r}/{config.rounds}")
    model_id = out.model_id
    for i, (owner, sha) in enumerate(zip(owners, cast.datasets, strict=True)):
        if lender.node.client.get_model(model_id).status != ModelStatus.OPEN:
            break
        c = owner.contribute(
            model_id,
            sha,
            TrainConfig(
                config.epsilon,
                delta=config.delta,
                epochs=epochs_for(config.epsilon),
                rounds=config.rounds,
                seed=config.seed * 1000 + r * 10 + i,
            ),
        )
        fees[i] += c.sent.fee_wei
        out.gas["submitUpdate"] = max(out.gas.get("submitUpdate", 0), c.sent.gas_used)
        say(
            f"  owner {i + 1} trained on {c.n_examples:,} loans in {c.seconds:.1f}s "
            f"(ε {c.epsilon:.2f} this round), submitted update #{c.update_id}"
        )
    submitters: dict[str, int] = {o.node.address: i + 1 for i, o in enumerate(owners)}
    judged = evaluate_pending(lender, model_id, progress=_bar(say, "  evaluation"))
    note_round(judged, r, out.verified, say)
    updates = []
    gas_key = "evaluateVerifiedRound" if config.verified else "evaluateRound"
    for e in judged:
        out.gas[gas_key] = max(out.gas.get(gas_key, 0), e.gas_used)
        value = "-" if e.shapley_value is None else f"{e.shapley_value:+.5f}"
        verdict = f"paid {e.reward_wei / WEI_PER_ETH:.6f} ETH" if e.accepted else e.reason
        say(
            f"  update #{e.update_id} (owner {submitters.get(e.submitter) or '?'}): "
            f"Shapley {value}, share {e.share_bps / 100:.2f}% -> {verdict}"
        )
        out.accepted += e.accepted
        out.rejected += not e.accepted
        updates.append(
            {
                "owner": submitters.get(e.submitter, 0),
                "update_id": e.update_id,
                "shapley_value": e.shapley_value,
                "share_bps": e.share_bps,
                "reward_wei": e.reward_wei,
                "accepted": e.accepted,
                "reason": e.reason,
            }
        )
    best = lender.node.client.get_model(model_id).best_score
    out.score_path.append(best)
    out.round_details.append(
        {
            "round": r,
            "score": best,
            "payout_wei": sum(e.reward_wei for e in judged),
            "tx_hash": judged[0].tx_hash if judged else "",
            "updates": updates,
        }
    )


def _finish(cast: Cast, test: pd.DataFrame, config: DemoConfig, say: Say, out: DemoResult) -> None:
    lender, fees = cast.lender, cast.fees
    client, model_id = lender.node.client, out.model_id
    say("owners withdraw what they earned")
    for i, owner in enumerate(cast.owners):
        paid = sum(
            s.record.reward_wei for s in owner.submissions() if s.record.model_id == model_id
        )
        if owner.owed() > 0:
            sent = owner.withdraw()
            fees[i] += sent.fee_wei
            out.gas["withdraw"] = max(out.gas.get("withdraw", 0), sent.gas_used)
        gained = owner.node.balance() - cast.start_balances[i]
        spent = max(owner.privacy(d.sha256)[0].epsilon for d in owner.datasets())
        out.owners.append(
            {
                "address": owner.node.address,
                "paid_wei": paid,
                "fees_wei": fees[i],
                "balance_change_wei": gained,
                "epsilon": round(spent, 3),
            }
        )
        out.checks[f"owner{i + 1}_balance"] = gained == paid - fees[i]
        out.paid_wei += paid
    out.epsilon_per_owner = max(o["epsilon"] for o in out.owners)
    _reclaim(lender, config, say, out)
    record = client.get_model(model_id)
    out.final_score, out.unspent_wei = record.best_score, record.remaining_wei
    out.checks["bounty_conserved"] = (
        out.paid_wei + out.reclaimed_wei + out.unspent_wei == out.bounty_wei
    )
    _save_final(lender, record, test, out)


def _reclaim(lender: LenderService, _config: DemoConfig, say: Say, out: DemoResult) -> None:
    client, record = lender.node.client, lender.node.client.get_model(out.model_id)
    if record.status == ModelStatus.OPEN:
        wait = record.deadline - client.chain_time() + 1
        say(
            f"advancing the local chain {wait // 3600} h past the deadline "
            "so the lender can reclaim"
        )
        advance_time(client.w3, wait)
    if client.get_model(out.model_id).remaining_wei > 0:
        sent = lender.reclaim(out.model_id)
        out.reclaimed_wei = sent.value
        out.gas["reclaim"] = sent.gas_used
        lender.withdraw()
        say(f"lender reclaimed {sent.value / WEI_PER_ETH:.4f} ETH of unspent bounty")


def _save_final(
    lender: LenderService, record: ModelRecord, test: pd.DataFrame, out: DemoResult
) -> None:
    """Score the first and final weights on the out-of-time test loans; save the final model."""
    spec = lender.bounty(out.model_id).require_spec()
    data = encode(spec, test)
    first = lender.node.weights_at(spec, weight_versions(lender, out.model_id)[0])
    final = lender.node.weights_at(spec, record.weights)
    out.test_auc_initial = round(score(spec, first, data.X, data.labels).roc_auc, 4)
    out.test_auc_final = round(score(spec, final, data.X, data.labels).roc_auc, 4)
    path = save_model(lender.node.settings.home / "demo" / f"model-{out.model_id}", spec, final)
    out.model_path = str(path)


def _bar(say: Say, label: str) -> Callable[[float, str], None]:
    last: list[object] = [-1, ""]
    printed = [0.0]  # when the last tick line was said

    def report(fraction: float, message: str) -> None:
        step = int(fraction * 4)
        stage = message.split(" (")[0] if message.startswith(PROOF_STAGES) else ""
        now = time.monotonic()
        tick = " s elapsed" in message
        if tick and now - printed[0] < TICK_LINE_S:
            return
        if step != last[0] or stage != last[1] or tick:  # a proof stage ticks while it runs
            last[:] = [step, stage]
            if tick:
                printed[0] = now
            say(f"{label}: {fraction:4.0%} {message}")

    return report
