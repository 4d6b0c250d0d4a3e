"""Risk score h/t, levels green / yellow / red / unknown, and the reasons behind a level."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import precision_score, recall_score

LEVELS = ("unknown", "green", "yellow", "red")
YELLOW_RECALL = 0.95  # yellow: the lowest probability that still catches 95 % of flagged addresses
RED_PRECISION = 0.90  # red: the lowest probability at which 90 % of those called red are flagged


@dataclass(frozen=True)
class Thresholds:
    """Probability cut-offs chosen on out-of-fold predictions, with held-out precision/recall."""

    yellow: float
    red: float
    yellow_precision: float = 0.0  # of addresses at yellow or above, the share flagged
    yellow_recall: float = 0.0  # of flagged addresses, the share at yellow or above
    red_precision: float = 0.0
    red_recall: float = 0.0

    def level(self, score: float) -> str:
        """green / yellow / red for a score in [0, 1]."""
        return "red" if score >= self.red else "yellow" if score >= self.yellow else "green"


@dataclass(frozen=True)
class Assessment:
    """What the app and CLI show for one address."""

    address: str
    level: str
    score: float | None  # h/t: risky transactions / all transactions (None: no history)
    probability: float | None  # the classifier's probability that the address is flagged
    risky: int
    total: int
    blacklisted: tuple[str, ...]  # counterparties on the blacklist
    top_features: tuple[tuple[str, float, float], ...]  # (feature, value, effect in log-odds)
    profile: str
    reasons: tuple[str, ...]
    unavailable: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """JSON-ready."""
        out = dict(self.__dict__)
        out["top_features"] = [
            {"feature": f, "value": v, "effect": round(e, 4)} for f, v, e in self.top_features
        ]
        for key in ("blacklisted", "reasons", "unavailable"):
            out[key] = list(out[key])
        return out


def choose_thresholds(y_oof: np.ndarray, p_oof: np.ndarray) -> tuple[float, float]:
    """(yellow, red) from out-of-fold probabilities: the recall and precision targets above."""
    order = np.sort(np.unique(p_oof))
    flagged = y_oof == 1
    yellow = 0.0
    for t in order:  # ascending: the last t still catching YELLOW_RECALL of the flagged rows
        if (p_oof[flagged] >= t).mean() >= YELLOW_RECALL:
            yellow = float(t)
    red = 1.0
    for t in order[::-1]:  # descending: the lowest t whose precision stays >= RED_PRECISION
        called = p_oof >= t
        if called.any() and flagged[called].mean() >= RED_PRECISION:
            red = float(t)
    return yellow, max(red, yellow)


def held_out(thresholds: tuple[float, float], y: np.ndarray, p: np.ndarray) -> Thresholds:
    """The thresholds with their precision and recall on held-out rows."""
    yellow, red = thresholds

    def pr(t: float) -> tuple[float, float]:
        called = p >= t
        return (
            float(precision_score(y, called, zero_division=0)),
            float(recall_score(y, called, zero_division=0)),
        )

    (yp, yr), (rp, rr) = pr(yellow), pr(red)
    return Thresholds(yellow, red, yp, yr, rp, rr)


def risky_count(
    counterparties: list[str], blacklist: frozenset[str], known: Mapping[str, float], red: float
) -> tuple[int, tuple[str, ...]]:
    """How many records touch a blacklisted (or classifier-red) counterparty, and which ones."""
    hits = [
        c
        for c in counterparties
        if c and (c.lower() in blacklist or known.get(c.lower(), 0.0) >= red)
    ]
    return len(hits), tuple(sorted(set(hits)))


def combine(
    _address: str,
    *,
    total: int,
    risky: int,
    blacklisted: tuple[str, ...],
    probability: float,
    thresholds: Thresholds,
    on_blacklist: bool,
) -> tuple[str, float | None, tuple[str, ...]]:
    """(level, h/t, reasons): the level of max(h/t, probability); no history is 'unknown'."""
    if total == 0 and not on_blacklist:
        return "unknown", None, ("no transactions were found for this address, so no level",)
    share = risky / total if total else 1.0
    reasons: list[str] = []
    if on_blacklist:
        reasons.append("the address itself is on the blacklist")
    if blacklisted:
        shown = ", ".join(blacklisted[:3]) + (" ..." if len(blacklisted) > 3 else "")
        reasons.append(f"{risky} of {total} transactions touch blacklisted addresses ({shown})")
    reasons.append(
        f"classifier probability {probability:.2f} (yellow from {thresholds.yellow:.2f}, "
        f"red from {thresholds.red:.2f})"
    )
    level = "red" if on_blacklist else thresholds.level(max(share, probability))
    return level, share, tuple(reasons)
