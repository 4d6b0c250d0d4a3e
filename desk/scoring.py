"""Score applications with a finished model: PD, decision, APR and reasons for every row."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from pandas import DataFrame  # `pd` is also ScoringModel.pd: annotations in it use DataFrame

from desk.applications import Prepared, prepare
from desk.explain import Explainer
from desk.policy import Policy, Pricing
from desk.words import reason_text
from fl.models import Weights, load_into
from fl.spec import ModelSpec

DEFAULT_REASONS = 3


@dataclass(frozen=True)
class Reason:
    """One feature's push on the logit, in plain words."""

    feature: str
    contribution: float
    text: str


@dataclass(frozen=True)
class ScoredRow:
    """One application's outcome; pd is None when the row was refused (see errors)."""

    app_id: str
    pd: float | None
    decision: str
    apr: float | None
    reasons: tuple[Reason, ...] = ()
    flags: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def reasons_text(self) -> str:
        """The reasons joined for a table cell or CSV."""
        return "; ".join(r.text for r in self.reasons)


@dataclass(frozen=True)
class Batch:
    """A scored batch: every row in input order, and what scored it."""

    rows: tuple[ScoredRow, ...]
    model: str
    weights_digest: str
    method: str
    missing_columns: tuple[str, ...] = ()
    ignored_columns: tuple[str, ...] = ()
    pds: np.ndarray = field(default_factory=lambda: np.zeros(0))  # the scored rows' PDs

    @property
    def counts(self) -> dict[str, int]:
        """How many rows got each decision (refused rows count as "refused")."""
        out: dict[str, int] = {}
        for row in self.rows:
            out[row.decision] = out.get(row.decision, 0) + 1
        return out


@dataclass(frozen=True)
class Desk:
    """How to decide: the lender's policy, pricing and how many reasons each way."""

    policy: Policy = field(default_factory=Policy)
    pricing: Pricing = field(default_factory=Pricing)
    reasons: int = DEFAULT_REASONS


class ScoringModel:
    """A finished model ready to score: its module, explainer and identity."""

    def __init__(
        self,
        spec: ModelSpec,
        weights: Weights,
        *,
        background: np.ndarray,
        name: str,
        weights_digest: str,
    ) -> None:
        self.spec = spec
        self.module = load_into(spec, weights).eval()
        self.explainer = Explainer(spec, weights, background)
        self.name = name
        self.weights_digest = weights_digest

    def logits(self, X: np.ndarray) -> np.ndarray:
        """Default logits of encoded rows (float64)."""
        with torch.no_grad():
            out = self.module(torch.from_numpy(np.asarray(X, dtype=np.float32)))
        return out.double().numpy()

    def pd(self, X: np.ndarray) -> np.ndarray:
        """Default probabilities of encoded rows (as fl.models.predict_proba computes them)."""
        return 1.0 / (1.0 + np.exp(-self.logits(X)))

    def score_frame(self, frame: DataFrame, desk: Desk | None = None) -> Batch:
        """Check, encode, score and explain a frame of applications (strings)."""
        return self.score_prepared(prepare(self.spec, frame), desk or Desk())

    def score_prepared(self, prepared: Prepared, desk: Desk) -> Batch:
        """Score rows already checked by desk.applications.prepare."""
        rows: list[ScoredRow] = []
        pds = np.zeros(0)
        scored: dict[int, ScoredRow] = {}
        if prepared.encoded is not None:
            X = prepared.encoded.X
            pds = self.pd(X)
            reasons = self._all_reasons(X, prepared.frame, desk.reasons)
            for k, i in enumerate(prepared.scorable_index):
                check = prepared.checks[i]
                flagged = bool(check.flags)
                scored[int(i)] = ScoredRow(
                    app_id=check.app_id,
                    pd=float(pds[k]),
                    decision=desk.policy.decide(float(pds[k]), flagged=flagged),
                    apr=float(desk.pricing.apr(float(pds[k]))),
                    reasons=reasons[k],
                    flags=check.flags,
                )
        for i, check in enumerate(prepared.checks):
            rows.append(scored.get(i) or _refused(check.app_id, check.errors, check.flags))
        return Batch(
            rows=tuple(rows),
            model=self.name,
            weights_digest=self.weights_digest,
            method=self.explainer.method,
            missing_columns=prepared.missing_columns,
            ignored_columns=prepared.ignored_columns,
            pds=pds,
        )

    def _all_reasons(self, X: np.ndarray, cells: DataFrame, n: int) -> list[tuple[Reason, ...]]:
        """The n features that raised and the n that lowered each row's PD most."""
        if not n:
            return [()] * len(X)
        values = self.explainer.explain(X).values
        order = np.argsort(values, axis=1)
        names = [f.name for f in self.spec.features]
        raw = cells[names].to_numpy(dtype=object)
        out = []
        for k in range(len(X)):
            row, picks = values[k], order[k]
            chosen = [j for j in picks[::-1][:n] if row[j] > 0] + [
                j for j in picks[:n] if row[j] < 0
            ]
            out.append(
                tuple(
                    Reason(names[j], float(row[j]), reason_text(names[j], raw[k, j], row[j]))
                    for j in chosen
                )
            )
        return out


def _refused(app_id: str, errors: tuple[str, ...], flags: tuple[str, ...]) -> ScoredRow:
    return ScoredRow(app_id, None, "refused", None, (), flags, errors)
