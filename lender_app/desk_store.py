"""The desk's rows in the lender app's SQLite: each model's policy and recent batch results."""

from __future__ import annotations

import secrets
import time

from desk.policy import Policy, Pricing
from fedlend.web import get_db

MIGRATIONS = [
    """CREATE TABLE desk_policies (
        contract TEXT NOT NULL,
        model_id INTEGER NOT NULL,
        approve_below REAL NOT NULL,
        decline_from REAL NOT NULL,
        cost_of_funds REAL NOT NULL,
        lgd REAL NOT NULL,
        margin REAL NOT NULL,
        saved_at REAL NOT NULL,
        PRIMARY KEY (contract, model_id)
    )""",
    """CREATE TABLE desk_batches (
        token TEXT PRIMARY KEY,
        contract TEXT NOT NULL,
        model_id INTEGER NOT NULL,
        csv TEXT NOT NULL,
        created_at REAL NOT NULL
    )""",
]
KEEP_BATCHES = 20


def load_policy(contract: str, model_id: int) -> tuple[Policy, Pricing, bool]:
    """The saved policy and pricing (or the defaults), and whether one was saved."""
    row = get_db().query_one(
        "SELECT * FROM desk_policies WHERE contract = ? AND model_id = ?", (contract, model_id)
    )
    if row is None:
        return Policy(), Pricing(), False
    return (
        Policy(row["approve_below"], row["decline_from"]),
        Pricing(row["cost_of_funds"], row["lgd"], row["margin"]),
        True,
    )


def save_policy(contract: str, model_id: int, policy: Policy, pricing: Pricing) -> None:
    """Keep this model's cutoffs and pricing."""
    get_db().execute(
        "INSERT OR REPLACE INTO desk_policies VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            contract,
            model_id,
            policy.approve_below,
            policy.decline_from,
            pricing.cost_of_funds,
            pricing.lgd,
            pricing.margin,
            time.time(),
        ),
    )


def keep_batch(contract: str, model_id: int, csv: str) -> str:
    """Store a batch's result CSV for download; returns its token (older batches dropped)."""
    token = secrets.token_hex(16)
    db = get_db()
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO desk_batches VALUES (?, ?, ?, ?, ?)",
            (token, contract, model_id, csv, time.time()),
        )
        conn.execute(
            "DELETE FROM desk_batches WHERE token NOT IN "
            "(SELECT token FROM desk_batches ORDER BY created_at DESC LIMIT ?)",
            (KEEP_BATCHES,),
        )
    return token


def batch_csv(contract: str, model_id: int, token: str) -> str | None:
    """A kept batch's CSV, or None."""
    row = get_db().query_one(
        "SELECT csv FROM desk_batches WHERE token = ? AND contract = ? AND model_id = ?",
        (token, contract, model_id),
    )
    return None if row is None else str(row["csv"])
