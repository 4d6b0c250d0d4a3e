"""The demo's setup: the parties' loans, a fresh local state, the bounty and the owners' data."""

from __future__ import annotations

import shutil

import pandas as pd

from fedlend.chain.accounts import dev_account
from fedlend.demo.records import DemoConfig, DemoResult, Say
from fedlend.demo.rounds import progress_bar
from fedlend.demo.verified import note_posting
from fedlend.services.bounty_terms import BountyTerms
from fedlend.services.lender import LenderService
from fedlend.services.owner import OwnerService
from fedlend.settings import Settings
from fedlend.types import MAX_SCORE, WEI_PER_ETH
from fl.data import REFERENCE_DATE
from fl.splits import by_state


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


def fresh_local_state(settings: Settings, config: DemoConfig, say: Say) -> None:
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


def post_bounty(
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
    posted = lender.post_bounty(data, terms, progress=progress_bar(say, "  base model"))
    note_posting(posted, out.verified, say)
    out.model_id, out.initial_score = posted.model_id, posted.initial_score
    out.target_score, out.bounty_wei = round(config.target * MAX_SCORE), bounty
    out.score_path.append(posted.initial_score)
    out.gas["createVerifiedModel" if config.verified else "createModel"] = posted.sent.gas_used
    say(
        f"  model #{posted.model_id}: initial validation ROC-AUC "
        f"{posted.initial_score / MAX_SCORE:.4f}"
    )


def add_datasets(
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
