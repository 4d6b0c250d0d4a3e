"""The owner's privacy ledger: per owner and dataset (sha256 of the file), persisted in SQLite.

Composition is honest and conservative. Every charge records its (epsilon, delta) and, for DP-SGD
runs, the Poisson-subsampled Gaussian mechanism (noise, sample rate, steps). The total spent is
  * basic composition: (sum of epsilons, sum of deltas), always valid; or, when every charge
    recorded its mechanism and it is tighter,
  * RDP composition of all those mechanisms, converted to (epsilon, delta) at the largest single
    delta (which is below the sum, so this pair is reported only if its epsilon is also smaller).
Training is checked against the budget BEFORE it runs, and the charge re-checks atomically.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fedlend_core.errors import PrivacyBudgetError
from fl.dp import DPPlan, Mechanism, rdp_epsilon

if TYPE_CHECKING:
    from fl.train import TrainResult

DEFAULT_EPSILON_BUDGET = 10.0
DEFAULT_DELTA_BUDGET = 1e-4
SLACK = 1e-9

SCHEMA = """
CREATE TABLE IF NOT EXISTS budgets (
  owner TEXT NOT NULL, dataset TEXT NOT NULL, epsilon REAL NOT NULL, delta REAL NOT NULL,
  PRIMARY KEY (owner, dataset));
CREATE TABLE IF NOT EXISTS charges (
  id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, dataset TEXT NOT NULL,
  epsilon REAL NOT NULL, delta REAL NOT NULL, noise_multiplier REAL, sample_rate REAL,
  steps INTEGER, note TEXT NOT NULL DEFAULT '', at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS charges_owner_dataset ON charges (owner, dataset);
"""


@dataclass(frozen=True)
class Charge:
    """One recorded spend."""

    epsilon: float
    delta: float
    mechanism: Mechanism | None
    note: str
    at: float


@dataclass(frozen=True)
class Spent:
    """Composed privacy loss of some charges."""

    epsilon: float
    delta: float
    charges: int
    method: str  # "none" | "basic" | "rdp"


@dataclass(frozen=True)
class Budget:
    """An (epsilon, delta) allowance."""

    epsilon: float
    delta: float


def compose(charges: list[Charge]) -> Spent:
    """Total (epsilon, delta) of these charges (see the module docstring)."""
    if not charges:
        return Spent(0.0, 0.0, 0, "none")
    delta = sum(c.delta for c in charges)
    basic = sum(c.epsilon for c in charges)
    largest = max(c.delta for c in charges)
    if all(c.mechanism is not None for c in charges) and 0 < largest < 1:
        rdp = rdp_epsilon([c.mechanism for c in charges if c.mechanism is not None], largest)
        if rdp <= basic:
            return Spent(rdp, largest, len(charges), "rdp")
    return Spent(basic, delta, len(charges), "basic")


class PrivacyLedger:
    """Privacy budgets and charges in one SQLite file (safe across processes and threads)."""

    def __init__(
        self,
        path: str | Path,
        *,
        default_epsilon: float = DEFAULT_EPSILON_BUDGET,
        default_delta: float = DEFAULT_DELTA_BUDGET,
    ) -> None:
        self.path = Path(path)
        self.default = Budget(default_epsilon, default_delta)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            yield db
        finally:
            db.close()

    def set_budget(self, owner: str, dataset: str, *, epsilon: float, delta: float) -> None:
        """Set the total allowance for one owner's dataset."""
        if not (epsilon >= 0 and 0 <= delta < 1):
            raise PrivacyBudgetError("a budget needs epsilon >= 0 and 0 <= delta < 1")
        with self._connect() as db:
            db.execute(
                "INSERT INTO budgets VALUES (?,?,?,?) ON CONFLICT(owner, dataset) "
                "DO UPDATE SET epsilon=excluded.epsilon, delta=excluded.delta",
                (owner, dataset, float(epsilon), float(delta)),
            )

    def budget(self, owner: str, dataset: str) -> Budget:
        """The allowance (the ledger default unless set)."""
        with self._connect() as db:
            return self._budget(db, owner, dataset)

    def _budget(self, db: sqlite3.Connection, owner: str, dataset: str) -> Budget:
        row = db.execute(
            "SELECT epsilon, delta FROM budgets WHERE owner=? AND dataset=?", (owner, dataset)
        ).fetchone()
        return Budget(*row) if row else self.default

    def history(self, owner: str, dataset: str) -> list[Charge]:
        """Every charge for this owner's dataset, oldest first."""
        with self._connect() as db:
            return self._history(db, owner, dataset)

    @staticmethod
    def _history(db: sqlite3.Connection, owner: str, dataset: str) -> list[Charge]:
        rows = db.execute(
            "SELECT epsilon, delta, noise_multiplier, sample_rate, steps, note, at FROM charges "
            "WHERE owner=? AND dataset=? ORDER BY id",
            (owner, dataset),
        ).fetchall()
        return [
            Charge(eps, dlt, Mechanism(sigma, q, steps) if sigma is not None else None, note, at)
            for eps, dlt, sigma, q, steps, note, at in rows
        ]

    def spent(self, owner: str, dataset: str) -> Spent:
        """Composed spend so far."""
        return compose(self.history(owner, dataset))

    def remaining(self, owner: str, dataset: str) -> Budget:
        """What is left of the allowance (never negative)."""
        budget, spent = self.budget(owner, dataset), self.spent(owner, dataset)
        return Budget(
            max(0.0, budget.epsilon - spent.epsilon), max(0.0, budget.delta - spent.delta)
        )

    def check(
        self,
        owner: str,
        dataset: str,
        *,
        epsilon: float,
        delta: float,
        mechanism: Mechanism | None = None,
    ) -> Spent:
        """The spend after one more charge; PrivacyBudgetError (with the numbers) if over budget."""
        with self._connect() as db:
            return self._project(db, owner, dataset, Charge(epsilon, delta, mechanism, "", 0.0))

    def _project(self, db: sqlite3.Connection, owner: str, dataset: str, new: Charge) -> Spent:
        budget = self._budget(db, owner, dataset)
        history = self._history(db, owner, dataset)
        before, after = compose(history), compose([*history, new])
        if after.epsilon > budget.epsilon + SLACK or after.delta > budget.delta + SLACK:
            raise PrivacyBudgetError(
                f"this training needs epsilon {new.epsilon:.3g} (delta {new.delta:.2g}); dataset "
                f"{dataset[:12]} has spent epsilon {before.epsilon:.3g} (delta {before.delta:.2g}) "
                f"of its budget epsilon {budget.epsilon:.3g} (delta {budget.delta:.2g}), "
                f"which would become {after.epsilon:.3g} (delta {after.delta:.2g}). "
                "Ask for a smaller epsilon, or raise the budget if you accept more privacy loss"
            )
        return after

    def charge(
        self,
        owner: str,
        dataset: str,
        *,
        epsilon: float,
        delta: float,
        mechanism: Mechanism | None = None,
        note: str = "",
    ) -> Spent:
        """Record a spend atomically, re-checking the budget inside the same transaction."""
        new = Charge(epsilon, delta, mechanism, note, time.time())
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                after = self._project(db, owner, dataset, new)
                m = mechanism
                db.execute(
                    "INSERT INTO charges (owner, dataset, epsilon, delta, noise_multiplier, "
                    "sample_rate, steps, note, at) VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        owner,
                        dataset,
                        float(epsilon),
                        float(delta),
                        m.noise_multiplier if m else None,
                        m.sample_rate if m else None,
                        m.steps if m else None,
                        note,
                        new.at,
                    ),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return after

    def account(self, owner: str, dataset: str, *, note: str = "") -> LedgerAccount:
        """A handle train_update can check and charge (fl.train.BudgetAccount)."""
        return LedgerAccount(self, owner, dataset, note)


@dataclass(frozen=True)
class LedgerAccount:
    """One owner's dataset in a ledger, as train_update's `account=`."""

    ledger: PrivacyLedger
    owner: str
    dataset: str
    note: str = ""

    def check(self, plan: DPPlan) -> None:
        """Refuse a planned run that would exceed the budget."""
        self.ledger.check(
            self.owner,
            self.dataset,
            epsilon=plan.epsilon,
            delta=plan.delta,
            mechanism=plan.mechanism,
        )

    def charge(self, result: TrainResult) -> None:
        """Book a finished run's spend."""
        if result.epsilon is None:
            raise PrivacyBudgetError("a run without DP cannot be booked against a privacy budget")
        self.ledger.charge(
            self.owner,
            self.dataset,
            epsilon=result.epsilon,
            delta=result.delta,
            mechanism=result.mechanism,
            note=self.note,
        )
