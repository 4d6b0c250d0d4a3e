"""The owner's privacy ledger: per owner and dataset (sha256 of the file), persisted in SQLite.

Composition is honest and conservative (fl.composition). The ledger stores every charge and, per
dataset, the running composed state, so a check or a charge reads one row and adds one curve:
O(1) in the history, one transaction per charge. A charge with a key (a job or submission id) is
booked once however often it is retried. Training is checked against the budget BEFORE it runs,
and the charge re-checks atomically. The file itself (opened read-write only, never re-created
empty, every total checked against its charges) is fl.ledger_file's.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fedlend_core.errors import PrivacyBudgetError
from fl.composition import Charge, Composed, Spent, compose
from fl.dp import DPPlan, Mechanism
from fl.ledger_file import LedgerFile, damaged, write
from fl.ledger_schema import booked, initialise, insert

if TYPE_CHECKING:
    from fl.train import TrainResult

__all__ = ["Budget", "Charge", "Composed", "LedgerAccount", "PrivacyLedger", "Spent", "compose"]

DEFAULT_EPSILON_BUDGET = 10.0
DEFAULT_DELTA_BUDGET = 1e-4
SLACK = 1e-9


@dataclass(frozen=True)
class Spend:
    """One run's privacy cost, as the ledger books it (`mechanism` lets RDP compose it)."""

    epsilon: float
    delta: float
    mechanism: Mechanism | None = None
    note: str = ""


@dataclass(frozen=True)
class Budget:
    """An (epsilon, delta) allowance."""

    epsilon: float
    delta: float


class PrivacyLedger:
    """Privacy budgets and charges in one SQLite file (safe across processes and threads).

    `create=False` (for an owner whose other state already exists) refuses to start a new,
    empty ledger where one is missing: every use then raises LedgerMissingError. `durable=False`
    skips SQLite's fsyncs (a throwaway ledger, e.g. a simulation's: a crash may lose its tail).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        default_epsilon: float = DEFAULT_EPSILON_BUDGET,
        default_delta: float = DEFAULT_DELTA_BUDGET,
        create: bool = True,
        durable: bool = True,
    ) -> None:
        self.path = Path(path)
        self.default = Budget(default_epsilon, default_delta)
        self._file = LedgerFile(self.path, durable=durable)
        if create and not self.path.exists():
            initialise(self.path)

    def verify(self, owner: str, dataset: str) -> Spent:
        """Re-compose the full history once and compare with the stored state (an audit)."""
        with self._file.connect() as db:
            stored = self._file.state(db, owner, dataset)
            recomposed = self._file.recomposed(db, owner, dataset)
        if recomposed.to_json() != stored.to_json():
            raise damaged(self.path, f"dataset {dataset[:12]}'s total disagrees with its charges")
        return stored.spent()

    def datasets(self) -> list[tuple[str, str]]:
        """Every (owner, dataset) with a charge or a stored total."""
        with self._file.connect() as db:
            rows = db.execute(
                "SELECT owner, dataset FROM charges UNION SELECT owner, dataset FROM composed"
            ).fetchall()
        return [(str(o), str(d)) for o, d in rows]

    # --- budgets --------------------------------------------------------------------------------
    def set_budget(self, owner: str, dataset: str, *, epsilon: float, delta: float) -> None:
        """Set the total allowance for one owner's dataset."""
        if not (epsilon >= 0 and 0 <= delta < 1):
            raise PrivacyBudgetError("a budget needs epsilon >= 0 and 0 <= delta < 1")
        with self._file.connect() as db:
            db.execute(
                "INSERT INTO budgets VALUES (?,?,?,?) ON CONFLICT(owner, dataset) "
                "DO UPDATE SET epsilon=excluded.epsilon, delta=excluded.delta",
                (owner, dataset, float(epsilon), float(delta)),
            )

    def budget(self, owner: str, dataset: str) -> Budget:
        """The allowance (the ledger default unless set)."""
        with self._file.connect() as db:
            return self._budget(db, owner, dataset)

    def _budget(self, db: sqlite3.Connection, owner: str, dataset: str) -> Budget:
        row = db.execute(
            "SELECT epsilon, delta FROM budgets WHERE owner=? AND dataset=?", (owner, dataset)
        ).fetchone()
        return Budget(*row) if row else self.default

    # --- reading --------------------------------------------------------------------------------
    def history(self, owner: str, dataset: str) -> list[Charge]:
        """Every charge for this owner's dataset, oldest first (refused if its total is damaged)."""
        with self._file.connect() as db:
            self._file.state(db, owner, dataset)
            return self._file.history(db, owner, dataset)

    def spent(self, owner: str, dataset: str) -> Spent:
        """Composed spend so far (one stored state, not the history)."""
        with self._file.connect() as db:
            return self._file.state(db, owner, dataset).spent()

    def remaining(self, owner: str, dataset: str) -> Budget:
        """What is left of the allowance (never negative)."""
        with self._file.connect() as db:
            budget, spent = (
                self._budget(db, owner, dataset),
                self._file.state(db, owner, dataset).spent(),
            )
        return Budget(
            max(0.0, budget.epsilon - spent.epsilon), max(0.0, budget.delta - spent.delta)
        )

    # --- checking and charging ------------------------------------------------------------------
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
        with self._file.connect() as db:
            state = self._file.state(db, owner, dataset)
            new = Charge(epsilon, delta, mechanism, "", 0.0)
            return self._project(db, owner, dataset, state, new)[1].spent()

    def _project(
        self, db: sqlite3.Connection, owner: str, dataset: str, state: Composed, new: Charge
    ) -> tuple[Spent, Composed]:
        budget = self._budget(db, owner, dataset)
        before, after_state = state.spent(), state.add(new)
        after = after_state.spent()
        if after.epsilon > budget.epsilon + SLACK or after.delta > budget.delta + SLACK:
            raise PrivacyBudgetError(
                f"this training needs epsilon {new.epsilon:.3g} (delta {new.delta:.2g}); dataset "
                f"{dataset[:12]} has spent epsilon {before.epsilon:.3g} (delta {before.delta:.2g}) "
                f"of its budget epsilon {budget.epsilon:.3g} (delta {budget.delta:.2g}), "
                f"which would become {after.epsilon:.3g} (delta {after.delta:.2g}). "
                "Ask for a smaller epsilon, or raise the budget if you accept more privacy loss"
            )
        return after, after_state

    def charge(
        self,
        owner: str,
        dataset: str,
        spend: Spend,
        *,
        key: str | None = None,
        enforce: bool = True,
    ) -> Spent:
        """Record a spend atomically, re-checking the budget inside the same transaction.

        With a `key`, a repeat of the same charge books nothing and returns the current spend.
        `enforce=False` books a spend that already happened even over budget (a rebuild).
        """
        new = Charge(
            float(spend.epsilon), float(spend.delta), spend.mechanism, spend.note, time.time()
        )
        with self._file.connect() as db, write(db):
            state = self._file.state(db, owner, dataset)
            if key is not None and booked(db, owner, dataset, key, new):
                return state.spent()  # booked before: nothing written
            if enforce:
                after_state = self._project(db, owner, dataset, state, new)[1]
            else:
                after_state = state.add(new)
            insert(db, owner, dataset, new, key, after_state)
        return after_state.spent()

    def refund(self, owner: str, dataset: str, *, key: str) -> bool:
        """Take back a keyed charge whose result provably never left (its transaction was never
        broadcast); the total is re-composed from the charges left. False if none had that key."""
        with self._file.connect() as db, write(db):
            self._file.state(db, owner, dataset)  # refuse a damaged ledger, as every write does
            gone = db.execute(
                "DELETE FROM charges WHERE owner=? AND dataset=? AND key=?",
                (owner, dataset, key),
            ).rowcount
            if gone:
                self._file.store_recomposed(db, owner, dataset)
        return bool(gone)

    def account(
        self, owner: str, dataset: str, *, note: str = "", key: str | None = None
    ) -> LedgerAccount:
        """A handle train_update can check and charge (fl.train.BudgetAccount)."""
        return LedgerAccount(self, owner, dataset, note, key)


@dataclass(frozen=True)
class LedgerAccount:
    """One owner's dataset in a ledger, as train_update's `account=`."""

    ledger: PrivacyLedger
    owner: str
    dataset: str
    note: str = ""
    key: str | None = None  # a job id: a retried charge of the same job books once

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
        spend = Spend(result.epsilon, result.delta, result.mechanism, self.note)
        self.ledger.charge(self.owner, self.dataset, spend, key=self.key)
