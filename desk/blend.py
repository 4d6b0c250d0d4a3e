"""EasyBlend: a logistic blender over two finished models' logits, used only if it beats both."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from desk.policy import Policy, Pricing
from desk.scoring import Batch
from fedlend_core.errors import DataError


@dataclass(frozen=True)
class Blend:
    """The blender and how it did on blender-check next to each model."""

    weights: tuple[float, float]
    intercept: float
    auc_a: float
    auc_b: float
    auc_blend: float
    n_train: int
    n_check: int

    @property
    def used(self) -> bool:
        """Whether the blend beats both models on blender-check."""
        return self.auc_blend > max(self.auc_a, self.auc_b)

    def logit(self, logit_a: np.ndarray, logit_b: np.ndarray) -> np.ndarray:
        """The blended logit."""
        wa, wb = self.weights
        return self.intercept + wa * np.asarray(logit_a) + wb * np.asarray(logit_b)

    def pd(self, logit_a: np.ndarray, logit_b: np.ndarray) -> np.ndarray:
        """The blended PD."""
        return 1.0 / (1.0 + np.exp(-self.logit(logit_a, logit_b)))


def split(n: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Blender-train and blender-check row positions: a seeded half/half split."""
    order = np.random.default_rng(seed).permutation(n)
    return order[: n // 2], order[n // 2 :]


def fit_blend(logit_a: np.ndarray, logit_b: np.ndarray, y: np.ndarray, *, seed: int = 0) -> Blend:
    """Fit on blender-train, compare all three on blender-check."""
    la, lb, y = (np.asarray(v, float) for v in (logit_a, logit_b, y))
    if not len(la) == len(lb) == len(y) or len(y) < 40:
        raise DataError("blending needs at least 40 labelled loans scored by both models")
    train, check = split(len(y), seed=seed)
    if len(np.unique(y[train])) < 2 or len(np.unique(y[check])) < 2:
        raise DataError("both halves of the validation set need defaults and repaid loans")
    features = np.column_stack([la, lb])
    model = LogisticRegression(C=1.0, max_iter=1000).fit(features[train], y[train])
    blended = model.decision_function(features[check])
    return Blend(
        weights=(float(model.coef_[0, 0]), float(model.coef_[0, 1])),
        intercept=float(model.intercept_[0]),
        auc_a=float(roc_auc_score(y[check], la[check])),
        auc_b=float(roc_auc_score(y[check], lb[check])),
        auc_blend=float(roc_auc_score(y[check], blended)),
        n_train=len(train),
        n_check=len(check),
    )


@dataclass(frozen=True)
class BlendedRow:
    """One application scored by the blend: PD, decision, price, and each model's part."""

    app_id: str
    pd: float | None
    decision: str
    apr: float | None
    parts: tuple[tuple[str, float, float, str], ...]  # (model, weight, its PD, its reasons)
    problems: tuple[str, ...] = ()


def blend_rows(
    blend: Blend, a: Batch, b: Batch, *, policy: Policy, pricing: Pricing
) -> list[BlendedRow]:
    """Combine two models' scored batches of the same applications row by row."""
    out = []
    for row_a, row_b in zip(a.rows, b.rows, strict=True):
        if row_a.pd is None or row_b.pd is None:
            problems = tuple(row_a.errors) + tuple(e for e in row_b.errors if e not in row_a.errors)
            out.append(BlendedRow(row_a.app_id, None, "refused", None, (), problems))
            continue
        la, lb = (float(np.log(p / (1 - p))) for p in (row_a.pd, row_b.pd))
        pd_ = float(blend.pd(np.array([la]), np.array([lb]))[0])
        flagged = bool(row_a.flags or row_b.flags)
        out.append(
            BlendedRow(
                app_id=row_a.app_id,
                pd=pd_,
                decision=policy.decide(pd_, flagged=flagged),
                apr=float(pricing.apr(pd_)),
                parts=(
                    (a.model, blend.weights[0], row_a.pd, row_a.reasons_text),
                    (b.model, blend.weights[1], row_b.pd, row_b.reasons_text),
                ),
                problems=tuple(row_a.flags),
            )
        )
    return out
