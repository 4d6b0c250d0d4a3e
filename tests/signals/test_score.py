"""Levels: unknown without history, red on the blacklist, thresholds from out-of-fold data."""

from __future__ import annotations

import numpy as np

from signals.assess import Context, assess_history, score_frame
from signals.dataset import FEATURES, AddressData
from signals.history import History, Transaction
from signals.model import ServedModel
from signals.score import Thresholds, choose_thresholds, combine

ME = "0x" + "a" * 40
FRIEND = "0x" + "b" * 40


def test_thresholds_reach_their_targets() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    p = np.clip(y * 0.6 + rng.normal(0.2, 0.2, 2000), 0, 1)
    yellow, red = choose_thresholds(y, p)
    assert yellow <= red
    assert (p[y == 1] >= yellow).mean() >= 0.95
    assert y[p >= red].mean() >= 0.90


def test_quick_model_thresholds_are_ordered_and_measured(quick_model: ServedModel) -> None:
    t = quick_model.thresholds
    assert 0 < t.yellow <= t.red < 1
    assert t.yellow_recall >= t.red_recall
    assert t.red_precision >= t.yellow_precision


def test_no_history_is_unknown_never_green() -> None:
    level, share, reasons = combine(
        ME,
        total=0,
        risky=0,
        blacklisted=(),
        probability=0.01,
        thresholds=Thresholds(0.1, 0.5),
        on_blacklist=False,
    )
    assert level == "unknown"
    assert share is None
    assert "no transactions" in reasons[0]


def test_blacklisted_counterparty_raises_the_share(context: Context) -> None:
    bad = sorted(context.blacklist)[0]
    txs = (
        Transaction("0x" + "1" * 64, 1, 1000, bad, ME, 1.0, receiver_is_contract=False),
        Transaction("0x" + "2" * 64, 2, 2000, ME, FRIEND, 0.5, receiver_is_contract=False),
    )
    result = assess_history(context, History(ME, txs))
    assert result.risky == 1
    assert result.total == 2
    assert result.score == 0.5
    assert result.blacklisted == (bad,)
    assert result.level in ("yellow", "red")
    assert any("blacklisted" in r for r in result.reasons)


def test_blacklisted_address_itself_is_red(context: Context) -> None:
    bad = sorted(context.blacklist)[1]
    result = assess_history(context, History(bad))
    assert result.level == "red"


def test_clean_history_with_friends(context: Context) -> None:
    txs = tuple(
        Transaction(
            f"0x{i:064x}",
            i,
            1000 + 3600 * i,
            FRIEND if i % 2 else ME,
            ME if i % 2 else FRIEND,
            1.0,
            receiver_is_contract=False,
        )
        for i in range(1, 9)
    )
    result = assess_history(context, History(ME, txs))
    assert result.level in ("green", "yellow", "red")
    assert result.probability is not None
    assert 0 <= result.probability <= 1
    assert result.risky == 0
    assert result.profile != "unknown"


def test_score_frame_levels_follow_probabilities(
    quick_model: ServedModel, address_data: AddressData
) -> None:
    rows = np.random.default_rng(1).choice(len(address_data.labels), 400, replace=False)
    frame = address_data.features.iloc[rows].reset_index(drop=True)
    frame.insert(0, "Address", [address_data.addresses[i] for i in rows])
    frame.loc[0, list(FEATURES)] = 0.0
    scored = score_frame(quick_model, frame)
    assert list(scored.columns) == ["Address", "probability", "level", "profile"]
    assert scored.loc[0, "level"] == "unknown"
    reds = scored[scored["level"] == "red"]
    assert (reds["probability"] >= quick_model.thresholds.red).all()
    flagged = address_data.labels[rows] == 1
    assert scored["probability"][flagged].mean() > scored["probability"][~flagged].mean()
