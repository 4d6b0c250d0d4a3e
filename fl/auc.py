"""Many models' ROC-AUC (or accuracy) on one labelled set at once: ranks in numpy, ties as sklearn.

ROC-AUC is the Mann-Whitney statistic: for each positive, the negatives scored below it plus half
the negatives scored equal, over n_pos * n_neg. That is exactly sklearn's `roc_auc_score`
(trapezoids between tied thresholds), so tied scores count one half, never an arbitrary order.
Rows of `scores` are models; columns are the loans of `y`. Only the order of the scores matters,
so logits work as well as probabilities (and keep order where a sigmoid would saturate).
"""

from __future__ import annotations

import numpy as np

from fedlend_core.errors import DataError

METRICS = ("roc_auc", "accuracy")


def check_labels(y: np.ndarray) -> np.ndarray:
    """y as a boolean vector; DataError unless it holds both outcomes."""
    labels = np.asarray(y).reshape(-1)
    if labels.size == 0 or not np.isin(labels, (0, 1)).all():
        raise DataError("validation labels must be 0/1 (a `default` column of 0 and 1)")
    positive = labels == 1
    if positive.all() or not positive.any():
        raise DataError("scoring needs loans of both outcomes (some defaults and some repaid)")
    return positive


def rank_auc(scores: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """ROC-AUC of every row of `scores` (k, n) against boolean labels (n,); shape (k,).

    One integer sort per row: each score becomes its order-preserving 64-bit key with the last
    bit replaced by the label, so the sorted keys carry the labels in score order. Rows where two
    keys could share a score (a real tie, or two scores one ulp apart) are redone exactly by
    `_exact_u2`; the result is the same integer statistic either way, so bit for bit the same.
    """
    s = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    keys = np.add(s, 0.0).view(np.int64)  # + 0.0 turns -0.0 into +0.0, which equals it
    flip = np.right_shift(keys, 63)
    np.bitwise_and(flip, _LOW_63, out=flip)
    np.bitwise_xor(keys, flip, out=keys)  # monotone in the score (finite, non-NaN)
    np.bitwise_and(keys, -2, out=keys)
    np.bitwise_or(keys, positive.astype(np.int64), out=keys)  # last bit: the label
    keys.sort(axis=1)
    np.subtract(keys[:, 1:], keys[:, :-1], out=flip[:, 1:])
    maybe = (flip[:, 1:] < 2).any(axis=1)  # adjacent keys could share a score
    maybe |= np.isnan(s).any(axis=1)  # NaN has no order: argsort's (last) as before
    np.bitwise_and(keys, 1, out=keys)
    rank_sum = keys @ np.arange(positive.size, dtype=np.int64)
    u2 = (2 * rank_sum - n_pos * (n_pos - 1)).astype(np.float64)
    if maybe.any():
        u2[maybe] = _exact_u2(s[maybe], positive)
    return u2 / (2.0 * n_pos * n_neg)


_LOW_63 = np.int64(0x7FFF_FFFF_FFFF_FFFF)


def _exact_u2(s: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """Twice the Mann-Whitney U of rows of float scores by argsort; ties count one half."""
    n_pos = int(positive.sum())
    order = np.argsort(s, axis=1)
    ranked = np.take_along_axis(s, order, axis=1)
    is_pos = positive[order]
    tied = (ranked[:, 1:] == ranked[:, :-1]).any(axis=1)
    # no ties: a positive at sorted position j beats the j - (positives before it) negatives below
    positions = np.nonzero(is_pos)[1].reshape(len(s), n_pos)  # each row holds n_pos positives
    u2 = (2 * positions.sum(axis=1, dtype=np.int64) - n_pos * (n_pos - 1)).astype(np.float64)
    if tied.any():
        u2[tied] = _tied_u2(ranked[tied], is_pos[tied])
    return u2


def _tied_u2(ranked: np.ndarray, is_pos: np.ndarray) -> np.ndarray:
    """Twice the Mann-Whitney U of sorted rows with ties: equal scores count one half."""
    n = ranked.shape[1]
    neg = (~is_pos).astype(np.int64)
    cum_neg = np.cumsum(neg, axis=1)
    neg_before = cum_neg - neg  # negatives strictly earlier in sorted order
    positions = np.broadcast_to(np.arange(n), ranked.shape)
    new_group = np.ones(ranked.shape, dtype=bool)
    new_group[:, 1:] = ranked[:, 1:] != ranked[:, :-1]
    start = np.maximum.accumulate(np.where(new_group, positions, 0), axis=1)
    ends = np.ones(ranked.shape, dtype=bool)
    ends[:, :-1] = new_group[:, 1:]
    end = np.minimum.accumulate(np.where(ends, positions, n - 1)[:, ::-1], axis=1)[:, ::-1]
    below = np.take_along_axis(neg_before, start, axis=1)  # negatives below the tie group
    inside = np.take_along_axis(cum_neg, end, axis=1) - below  # negatives in the tie group
    return np.where(is_pos, 2 * below + inside, 0).sum(axis=1).astype(np.float64)


def metric_of_logits(metric: str, logits: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """The named metric of every row of logits (k, n); shape (k,)."""
    if metric == "roc_auc":
        return rank_auc(logits, positive)
    if metric == "accuracy":
        return ((np.atleast_2d(logits) >= 0) == positive).mean(axis=1)
    raise DataError(f"metric must be one of {METRICS}, not {metric!r}")
