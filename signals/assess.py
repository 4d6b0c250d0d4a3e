"""Assess addresses with the served model: probability, h/t, level, reasons, profile."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fedlend_core.errors import SpecError
from signals.dataset import ADDRESS, FEATURES, AddressData, flagged_addresses
from signals.features import FeatureVector, compute_features
from signals.history import History
from signals.model import ServedModel
from signals.profile import PROFILE_FEATURES, SEED_FEATURES
from signals.score import Assessment, combine, risky_count

TOP_FEATURES = 3


@dataclass(frozen=True)
class Context:
    """The served model, the blacklist, and classifier probabilities of known addresses."""

    model: ServedModel
    blacklist: frozenset[str] = frozenset()
    known: dict[str, float] = field(default_factory=dict)


def context_for(
    model: ServedModel, data: AddressData, extra: frozenset[str] = frozenset()
) -> Context:
    """A Context whose blacklist is the shipped flagged addresses plus `extra`."""
    x = data.features.fillna(0.0).to_numpy(np.float64)
    known = dict(zip((a.lower() for a in data.addresses), model.trees.proba(x), strict=True))
    return Context(model, flagged_addresses(data) | extra, known)


def probabilities(model: ServedModel, features: pd.DataFrame) -> np.ndarray:
    """The classifier's probability per row (missing cells as 0, as in training)."""
    return model.trees.proba(features[list(FEATURES)].fillna(0.0).to_numpy(np.float64))


def profiles(model: ServedModel, features: pd.DataFrame) -> list[str]:
    """The profile name per row."""
    known = {**SEED_FEATURES, **PROFILE_FEATURES}
    missing = [n for n in model.profiles.feature_names if n not in known]
    if missing:
        raise SpecError(f"the model uses unknown profile features {missing}: rebuild it")
    filled = features.fillna(0.0)
    raw = np.column_stack([known[n](filled).to_numpy(float) for n in model.profiles.feature_names])
    return [model.profiles.names[i] for i in model.profiles.assign(raw)]


def top_features(model: ServedModel, x: np.ndarray) -> tuple[tuple[str, float, float], ...]:
    """The features that raise the log-odds most over a typical address (one swapped at a time)."""
    base = model.trees.raw(x[None, :])[0]
    swapped = np.repeat(x[None, :], len(FEATURES), axis=0)
    swapped[np.arange(len(FEATURES)), np.arange(len(FEATURES))] = model.baseline
    effects = base - model.trees.raw(swapped)
    order = [int(i) for i in np.argsort(-effects)[:TOP_FEATURES] if effects[i] > 1e-6]
    return tuple((FEATURES[i], float(x[i]), round(float(effects[i]), 4)) for i in order)


def assess_features(
    ctx: Context, address: str, vector: FeatureVector, counterparties: list[str]
) -> Assessment:
    """An Assessment from features and the counterparty of every record."""
    x = np.asarray(vector.values, dtype=np.float64)
    frame = pd.DataFrame([vector.as_dict()])
    probability = float(ctx.model.trees.proba(x[None, :])[0])
    risky, hits = risky_count(counterparties, ctx.blacklist, ctx.known, ctx.model.thresholds.red)
    level, share, reasons = combine(
        address,
        total=len(counterparties),
        risky=risky,
        blacklisted=hits,
        probability=probability,
        thresholds=ctx.model.thresholds,
        on_blacklist=address.lower() in ctx.blacklist,
    )
    top = top_features(ctx.model, x) if level != "unknown" else ()
    if top:
        reasons = (*reasons, "top features: " + ", ".join(f"{f} = {v:g}" for f, v, _ in top))
    if vector.unavailable:
        reasons = (
            *reasons,
            "not computable from this source (taken as 0): " + ", ".join(vector.unavailable),
        )
    return Assessment(
        address=address,
        level=level,
        score=share,
        probability=probability if level != "unknown" else None,
        risky=risky,
        total=len(counterparties),
        blacklisted=hits,
        top_features=top,
        profile=profiles(ctx.model, frame)[0] if level != "unknown" else "unknown",
        reasons=reasons,
        unavailable=vector.unavailable,
    )


def assess_history(ctx: Context, history: History) -> Assessment:
    """An Assessment of an address from its History."""
    return assess_features(
        ctx, history.address, compute_features(history), history.counterparties()
    )


def score_frame(model: ServedModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Address, probability, level and profile per row of a feature table."""
    p = probabilities(model, frame)
    activity = frame[["total transactions (including tnx to create contract", "Total ERC20 tnxs"]]
    empty = activity.fillna(0.0).sum(axis=1).to_numpy() == 0
    levels = [
        "unknown" if e else model.thresholds.level(float(v)) for v, e in zip(p, empty, strict=True)
    ]
    return pd.DataFrame(
        {
            ADDRESS: frame[ADDRESS].astype(str),
            "probability": np.round(p, 6),
            "level": levels,
            "profile": profiles(model, frame),
        }
    )
